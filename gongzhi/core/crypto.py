"""Field encryption for personal data at rest (Fernet, key rotation via MultiFernet) and blind indexes.

Keys come from ``GONGZHI_FIELD_KEYS`` (newest first). Encrypting always uses the newest key; decrypting tries all,
so rotating is: prepend a new key, run ``gongzhi rotate_field_keys``, then drop the old key.
A blind index (keyed HMAC of the normalised value) lets us look a phone number up without decrypting every row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
    try:
        return _fernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionFailed("stored value does not decrypt with the configured GONGZHI_FIELD_KEYS") from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored token under the newest key."""
    return _fernet(_keys()).rotate(token.encode("ascii")).decode("ascii")


@lru_cache(maxsize=4)
def _index_key(keys: tuple[str, ...]) -> bytes:
    # Derived from the *oldest* key so that rotation (prepending keys) keeps existing indexes valid.
    return hashlib.sha256(b"gongzhi-blind-index:" + base64.urlsafe_b64decode(keys[-1])).digest()


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def blind_index(value: str) -> str:
    return hmac.new(_index_key(_keys()), value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
