"""Model fields for personal data: stored encrypted, read back as plain text."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.module_loading import import_string

from gongzhi.core import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with the field keys.

    Not searchable: pair it with a blind index when lookups are needed.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, blind_index_field: str = "", blind_index_of: str = "", **kwargs: Any) -> None:
        # Name of the sibling field holding crypto.blind_index(value), so `rotate_field_keys --reindex` can rebuild it.
        self.blind_index_field = blind_index_field
        # Dotted path of the function that normalises the value before it is indexed, when the index is not of the
        # stored value itself (a name indexed without spaces, lower-cased): `--reindex` must index what search does.
        # Not part of the schema, so not in deconstruct (no migration).
        self.blind_index_of = blind_index_of
        super().__init__(*args, **kwargs)

    def blind_index_value(self, plain: str) -> str:
        """The blind index of a stored (decrypted) value, as the code that writes and searches it computes it."""
        if self.blind_index_of:
            plain = import_string(self.blind_index_of)(plain)
        return crypto.blind_index(plain)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.blind_index_field:
            kwargs["blind_index_field"] = self.blind_index_field
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull", "exact"}:
            raise TypeError(f"encrypted fields cannot be filtered with __{lookup_name}; use a blind index")
        return super().get_lookup(lookup_name)
