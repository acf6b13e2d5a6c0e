"""The session store reads a session by one plain statement: what Django's database store would read, nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from gongzhi.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_is_the_configured_engine():
    assert settings.SESSION_ENGINE == "gongzhi.core.sessions"


def test_a_saved_session_reads_back():
    store = SessionStore()
    store["portal_phone"] = {"index": "abc", "masked": "139****0001"}
    store.save()
    again = SessionStore(session_key=store.session_key)
    assert again["portal_phone"] == {"index": "abc", "masked": "139****0001"}
    assert again.session_key == store.session_key


def test_an_expired_unknown_or_malformed_session_reads_as_none():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(session_key=store.session_key)
    assert expired.load() == {} and expired.session_key is None
    assert SessionStore(session_key="n" * 32).load() == {}
    assert SessionStore(session_key="").load() == {}
    assert SessionStore(session_key="bad key'; --").load() == {}


def test_a_tampered_session_reads_as_empty():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(session_data="tampered")
    assert SessionStore(session_key=store.session_key).load() == {}
