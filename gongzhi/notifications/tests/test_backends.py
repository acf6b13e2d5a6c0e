"""SMS backends, their loading from settings, and the GONGZHI_SMS_* configuration."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from gongzhi import config
from gongzhi.notifications import backends, checks, services

PHONE = "13912345678"


class OptionsBackend(backends.SmsBackend):
    def send(self, phone: str, body: str) -> str:
        return f"{self.options['account']}:{phone[-4:]}"


def test_file_backend_appends_parseable_json_lines(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    backend = backends.FileBackend()
    first = backend.send(PHONE, "【共治】您的诉求已受理")
    second = backend.send("13800000000", 'quotes " and\nnewlines')
    lines = (tmp_path / "sms" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["id"], r["phone"], r["body"]) for r in records] == [
        (first, PHONE, "【共治】您的诉求已受理"),
        (second, "13800000000", 'quotes " and\nnewlines'),
    ]
    assert "您的诉求" in lines[0]  # readable, not \u-escaped
    assert records[0]["at"].endswith("+00:00")


def test_file_backend_path_option_and_unwritable_path(tmp_path):
    target = tmp_path / "elsewhere" / "out.jsonl"
    backends.FileBackend(path=str(target)).send(PHONE, "hi")
    assert json.loads(target.read_text(encoding="utf-8"))["body"] == "hi"
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(backends.SmsError, match="cannot write"):
        backends.FileBackend(path=str(blocker / "out.jsonl")).send(PHONE, "hi")


@pytest.mark.django_db
def test_file_backend_end_to_end_through_send_sms(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.DATA_DIR = tmp_path
    settings.GONGZHI_SMS_BACKEND = "file"
    settings.GONGZHI_SMS_OPTIONS = {}
    settings.GONGZHI_SMS_SIGNATURE = "【测试区】"
    with django_capture_on_commit_callbacks(execute=True):
        sms = services.send_sms(phone=PHONE, kind="system.notice", context={"title": "t", "body": "明天停水"})
    (record,) = [json.loads(x) for x in (tmp_path / "sms" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    sms.refresh_from_db()
    assert record == {
        "id": sms.provider_id,
        "key": f"sms-{sms.pk}",
        "at": record["at"],
        "phone": PHONE,
        "body": "【测试区】明天停水",
    }


def test_console_backend_logs_the_number_masked(caplog):
    with caplog.at_level(logging.INFO, logger="gongzhi.notifications.sms"):
        message_id = backends.ConsoleBackend().send(PHONE, "【共治】hello")
    assert message_id.startswith("console-")
    assert "139****5678" in caplog.text and "【共治】hello" in caplog.text and PHONE not in caplog.text


def test_null_and_locmem_backends():
    assert backends.NullBackend().send(PHONE, "x").startswith("null-")
    backends.outbox.clear()
    message_id = backends.LocMemBackend().send(PHONE, "x")
    assert backends.outbox == [backends.SentSms(PHONE, "x", message_id)]
    backends.outbox.clear()


def test_backends_load_by_short_name_or_dotted_path_with_options(settings):
    for name, cls in backends.SHORT_NAMES.items():
        assert backends.backend_class(name) is cls
    settings.GONGZHI_SMS_BACKEND = f"{__name__}.OptionsBackend"
    settings.GONGZHI_SMS_OPTIONS = {"account": "district-7"}
    name, backend = backends.get_backend()
    assert name == settings.GONGZHI_SMS_BACKEND
    assert backend.send(PHONE, "x") == "district-7:5678"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("gongzhi.notifications.nowhere.Gateway", "cannot import"),
        ("gongzhi.notifications.backends.outbox", "is not a subclass"),
        ("json.JSONDecoder", "is not a subclass"),
    ],
)
def test_a_bad_backend_is_reported_by_the_system_check(settings, name, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        backends.backend_class(name)
    settings.GONGZHI_SMS_BACKEND = name
    (error,) = checks.check_sms_backend()
    assert error.id == "notifications.E002" and message in error.msg
    settings.GONGZHI_SMS_BACKEND = "console"
    assert checks.check_sms_backend() == []


def test_sms_settings_defaults_and_validation(tmp_path):
    cfg = config.load({"GONGZHI_DATA_DIR": str(tmp_path)})
    assert (cfg.sms_backend, cfg.sms_signature, cfg.sms_options) == ("console", "【共治】", {})
    cfg = config.load(
        {
            "GONGZHI_DATA_DIR": str(tmp_path),
            "GONGZHI_SMS_BACKEND": "mydistrict.sms.Gateway",
            "GONGZHI_SMS_OPTIONS": '{"url": "https://sms.example/api", "timeout": 5}',
        }
    )
    assert cfg.sms_backend == "mydistrict.sms.Gateway"
    assert cfg.sms_options == {"url": "https://sms.example/api", "timeout": 5}
    for env, message in [
        ({"GONGZHI_SMS_BACKEND": "smtp"}, "GONGZHI_SMS_BACKEND: expected console, file, null, locmem"),
        ({"GONGZHI_SMS_OPTIONS": "{url: 1}"}, "GONGZHI_SMS_OPTIONS: expected a JSON object, got invalid JSON"),
        ({"GONGZHI_SMS_OPTIONS": "[1, 2]"}, "GONGZHI_SMS_OPTIONS: expected a JSON object"),
    ]:
        with pytest.raises(config.ConfigError, match=message):
            config.load({"GONGZHI_DATA_DIR": str(tmp_path), **env})
