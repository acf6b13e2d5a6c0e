"""Field encryption for personal data at rest (Fernet, key rotation via MultiFernet) and blind indexes.

Keys come from ``GONGZHI_FIELD_KEYS`` (newest first). Encrypting always uses the newest key; decrypting tries all,
so rotating is: prepend a new key, run ``gongzhi rotate_field_keys``, then drop the old key.
A blind index (HMAC of the normalised value under its own key, GONGZHI_BLIND_INDEX_KEY) lets us look a phone number
up without decrypting every row; it does not change when the field keys rotate.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(Exception):
    """Stored ciphertext does not open with any configured key (a key was dropped too early)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("GONGZHI_FIELD_KEYS is empty: personal data cannot be encrypted")
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _keys() -> tuple[str, ...]:
    return tuple(settings.GONGZHI_FIELD_KEYS)


def encrypt(plaintext: str) -> str:
    return _fernet(_keys()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return _decrypt(_keys(), token)


# A row is loaded many times while it is worked on (a case is read on every action), so recent tokens are kept
# decrypted per process, per key set: a token that no longer opens with the configured keys is never served from here.
@lru_cache(maxsize=4096)
def _decrypt(keys: tuple[str, ...], token: str) -> str:
    try:
        return _fernet(keys).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionFailed("stored value does not decrypt with the configured GONGZHI_FIELD_KEYS") from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored token under the newest key."""
    return _fernet(_keys()).rotate(token.encode("ascii")).decode("ascii")


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def blind_index(value: str) -> str:
    key = settings.GONGZHI_BLIND_INDEX_KEY.encode("utf-8")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def new_secret(prefix: str) -> str:
    """A bearer secret (API token, Open311 key): a readable prefix and 256 random bits."""
    return prefix + secrets.token_urlsafe(32)


def secret_digest(raw: str) -> str:
    """How a bearer secret is stored and looked up: its SHA-256 (the secret itself is never stored)."""
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
