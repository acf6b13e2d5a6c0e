"""Domain errors are written in English and shown in the reader's language (core.errors)."""

from __future__ import annotations

from django.utils import translation

from gongzhi.core.errors import DomainError, NotFound, Term, gettext_noop


def test_the_message_is_translated_when_read_and_str_stays_english():
    exc = DomainError(gettext_noop("only a resolved case can be rated"))
    with translation.override("zh-hans"):
        assert exc.message == "只有已办结的案件可以评价"
    with translation.override("en"):
        assert exc.message == "only a resolved case can be rated"
    assert str(exc) == "only a resolved case can be rated"  # logs and tracebacks


def test_parameters_are_filled_in_and_terms_translated_with_the_message():
    exc = DomainError(
        gettext_noop("%(field)s is too long (%(n)d characters; at most %(max)d)"),
        params={"field": Term("reason"), "n": 1200, "max": 1000},
    )
    assert str(exc) == "reason is too long (1200 characters; at most 1000)"
    with translation.override("zh-hans"):
        assert exc.message == "原因太长（1200 个字，最多 1000 个）"


def test_an_untranslated_or_already_translated_message_is_shown_as_it_is():
    with translation.override("zh-hans"):
        assert DomainError("a message nobody translated").message == "a message nobody translated"
        assert DomainError("请输入手机号").message == "请输入手机号"
        # A literal percent sign without parameters is not a format.
        assert DomainError("100% sure").message == "100% sure"


def test_codes_and_statuses_stay_with_the_subclass():
    exc = NotFound(gettext_noop("case not found"))
    assert (exc.code, exc.http_status) == ("not_found", 404)
    assert DomainError("x", code="special").code == "special"


def test_an_import_problem_is_stored_in_english_and_read_in_the_readers_language():
    from gongzhi.core.errors import RowError

    error = RowError(
        file="热线.xlsx",
        row=3,
        column="楼栋编码",
        reason=gettext_noop("no building with code %(code)s"),
        params={"code": "B1"},
    )
    stored = error.as_dict()
    assert stored == {
        "file": "热线.xlsx",
        "row": 3,
        "column": "楼栋编码",
        "reason": "no building with code %(code)s",
        "params": {"code": "B1"},
    }
    back = RowError.from_dict(stored)
    assert back == error and str(back) == "热线.xlsx row 3 column 楼栋编码: no building with code B1"
    with translation.override("zh-hans"):
        assert back.message == "没有编码为 B1 的楼栋"
    # A term is stored as a term and translated again when read; an old report without params reads as it was.
    term = RowError.from_dict(
        RowError(file="f", row=None, column=None, reason="%(field)s", params={"field": Term("reason")}).as_dict()
    )
    with translation.override("zh-hans"):
        assert term.message == "原因"
    assert RowError.from_dict({"file": "f", "row": 2, "reason": "no such thing"}).message == "no such thing"
