"""The user's phone: encrypted at rest, found through its blind index, re-encrypted on key rotation."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from gongzhi.accounts.models import User
from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.core import crypto


@pytest.mark.django_db
def test_phone_is_encrypted_at_rest_and_found_by_blind_index():
    user = UserFactory()
    user.set_phone("+86 138 1234 5678")
    user.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        stored = cursor.fetchone()[0]
    assert "13812345678" not in stored and stored.startswith("gAAAA")
    assert User.objects.get(pk=user.pk).phone == "13812345678"
    assert User.objects.get(phone_index=crypto.blind_index("13812345678")) == user
    assert user.masked_phone == "138****5678"


@pytest.mark.django_db
def test_encrypted_fields_refuse_searches_that_would_scan_ciphertext():
    with pytest.raises(TypeError, match="blind index"):
        list(User.objects.filter(phone__contains="138"))


@pytest.mark.django_db
def test_key_rotation_keeps_old_data_readable_and_indexes_valid(settings):
    old_key = settings.GONGZHI_FIELD_KEYS[-1]
    user = UserFactory()
    user.set_phone("13900000000")
    user.save()
    index_before = user.phone_index
    new_key = Fernet.generate_key().decode()
    with override_settings(GONGZHI_FIELD_KEYS=(new_key, old_key)):
        assert User.objects.get(pk=user.pk).phone == "13900000000"
        assert crypto.blind_index("13900000000") == index_before
        with connection.cursor() as cursor:
            cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
            rotated = crypto.rotate(cursor.fetchone()[0])
    with override_settings(GONGZHI_FIELD_KEYS=(new_key,)):
        assert crypto.decrypt(rotated) == "13900000000"
        assert crypto.blind_index("13900000000") == index_before
    with (
        override_settings(GONGZHI_FIELD_KEYS=(Fernet.generate_key().decode(),)),
        pytest.raises(crypto.DecryptionFailed),
    ):
        User.objects.get(pk=user.pk)


@pytest.mark.django_db
def test_rotate_field_keys_command_reencrypts_under_the_newest_key(settings):
    old_key = settings.GONGZHI_FIELD_KEYS[0]
    users = UserFactory.create_batch(3)
    for i, user in enumerate(users):
        user.set_phone(f"1370000000{i}")
        user.save()
    UserFactory()  # a user without a phone is left alone
    new_key = Fernet.generate_key().decode()
    with override_settings(GONGZHI_FIELD_KEYS=(new_key, old_key)):
        call_command("rotate_field_keys", "--reindex", stdout=io.StringIO())
    with override_settings(GONGZHI_FIELD_KEYS=(new_key,)):
        assert sorted(User.objects.filter(pk__in=[u.pk for u in users]).values_list("phone", flat=True)) == [
            "13700000000",
            "13700000001",
            "13700000002",
        ]
