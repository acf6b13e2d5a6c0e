"""Every server error (500) is logged with its traceback to stderr — in a test process and in a real one with DEBUG
off, where before nothing was logged at all — and the visitor gets the 500 page, not the traceback."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.urls("gongzhi.ops.tests.boom_urls")


def _request_handler() -> logging.StreamHandler:
    """The stderr handler settings.LOGGING gives django.request (pytest adds capturing handlers of its own)."""
    [handler] = [h for h in logging.getLogger("django.request").handlers if type(h) is logging.StreamHandler]
    return handler


def test_the_configuration_sends_server_errors_to_stderr():
    assert settings.LOGGING["handlers"]["console"]["stream"] == "ext://sys.stderr"
    request_logger = settings.LOGGING["loggers"]["django.request"]
    assert request_logger["handlers"] == ["console"] and request_logger["level"] == "ERROR"


@pytest.mark.django_db
def test_a_500_is_logged_with_its_traceback(client):
    handler = _request_handler()
    captured = io.StringIO()
    previous = handler.setStream(captured)
    try:
        client.raise_request_exception = False
        response = client.get("/boom/")
    finally:
        handler.setStream(previous)
    assert response.status_code == 500
    page = response.content.decode()
    assert "BoomError" not in page and "Traceback" not in page  # the visitor sees the 500 page only
    log = captured.getvalue()
    assert "ERROR django.request Internal Server Error: /boom/" in log
    assert "Traceback (most recent call last):" in log
    assert "BoomError: a fault in the code, provoked by the test" in log


@pytest.mark.django_db
def test_a_400_from_bad_input_is_not_logged_as_an_error(client):
    handler = _request_handler()
    captured = io.StringIO()
    previous = handler.setStream(captured)
    try:
        response = client.get("/jsi18n/", {"packages": "x"})  # any answer below 500
    finally:
        handler.setStream(previous)
    assert response.status_code < 500
    assert captured.getvalue() == ""


def test_a_real_process_with_debug_off_logs_the_traceback_to_stderr(tmp_path):
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings; assert not settings.DEBUG\n"
        "settings.ROOT_URLCONF = 'gongzhi.ops.tests.boom_urls'\n"
        # Static files straight from the source tree (a real server has collected them; this process has not).
        "settings.STORAGES = {**settings.STORAGES, 'staticfiles': "
        "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "from django.test import Client\n"
        "response = Client(raise_request_exception=False).get('/boom/')\n"
        "print(response.status_code)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gongzhi.settings",
        "GONGZHI_DATA_DIR": str(tmp_path),
        "GONGZHI_DEBUG": "false",
        "GONGZHI_ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "500", done.stderr
    assert "Internal Server Error: /boom/" in done.stderr
    assert "Traceback (most recent call last):" in done.stderr
    assert "BoomError: a fault in the code, provoked by the test" in done.stderr
