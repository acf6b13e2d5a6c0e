import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.core.privacy import (
    BANK_CARD,
    ID_NUMBER,
    NAME,
    NUMBER,
    PHONE,
    coarse_point,
    find_personal_data,
    mask_name,
    mask_phone,
    mask_text,
)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+86 138-1234-1234", "138****1234"),
        ("0816-2345678", "081****5678"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("Li Lei", "L**"), ("", "")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_coarse_point_rounds_to_about_a_hundred_metres():
    assert coarse_point(30.123456, 120.987654) == (30.123, 120.988)
    assert coarse_point(None, 120.0) is None


# ------------------------------------------------------------------------------------------------------ mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "我叫张三，电话13812345678，身份证110101199003071234，3号楼楼道堆物",
            "我叫张*，电话138****5678，身份证**************1234，3号楼楼道堆物",
        ),
        ("身份证号11010119900307123x", "身份证号**************123x"),
        ("联系人：李四 138 1234 5678", "联系人：李* 138****5678"),
        ("+86-138-1234-5678 或 010-12345678", "138****5678 或 010****5678"),
        ("银行卡6222020200112233445", "银行卡***************3445"),
        ("座机 87654321", "座机 ******21"),
        ("邮箱 zhang.san@example.com", "邮箱 z***@example.com"),
        ("电话：１３８１２３４５６７８", "电话：１３８****５６７８"),
        ("2024年5月1日 3栋2单元 路灯不亮", "2024年5月1日 3栋2单元 路灯不亮"),
        ("", ""),
        # The evasions a tester used on the demo.
        ("电话138.1234.5678请回电", "电话138****5678请回电"),
        ("13812 345678", "138****5678"),
        ("打1 3 8 1 2 3 4 5 6 7 8找我", "打138****5678找我"),
        ("138/1234/5678 或 139-8765-4321", "138****5678 或 139****4321"),
        ("身份证 110101 19900307 123X", "身份证 **************123X"),
        ("证件 1101 0119 9003 0712 34", "证件 **************1234"),
        ("名字张三，家住3号楼", "名字张*，家住3号楼"),
        ("我叫张三", "我叫张*"),
        ("联系人李四", "联系人李*"),
        ("姓名:王五", "姓名:王*"),
        ("名字叫欧阳娜娜", "名字叫欧***"),
        ("(010)1234-5678", "010****5678"),
        ("户主王五（13812345678）", "户主王*（138****5678）"),
        ("手机一三八一二三四五六七八", "手机一三八****五六七八"),
        ("0086 13812345678", "138****5678"),
        # Numbers that are not personal keep their meaning.
        ("路灯编号 0731256 不亮", "路灯编号 0731256 不亮"),
        ("订单号 20240501123456789012 未送达", "订单号 20240501123456789012 未送达"),
        ("金额 1,234.56元，2024-05-01 13:45 缴费", "金额 1,234.56元，2024-05-01 13:45 缴费"),
        ("工单 2024.05.01 编号 A-10023，12345 热线转来", "工单 2024.05.01 编号 A-10023，12345 热线转来"),
        ("联系人不在家，我叫了物业", "联系人不在家，我叫了物业"),
        ("已联系王五，联系方式见上", "已联系王*，联系方式见上"),
        ("已联系户主王五清理", "已联系户主王**理"),
        ("名字孙小美，联系人王先生，张大爷说", "名字孙**，联系人王先生，张大爷说"),
        ("联系人李家豪", "联系人李**"),
        ("住3号楼5单元1203室，502室也漏水，3-2-502", "住3号楼*单元****室，***室也漏水，*-*-***"),
        ("三单元502", "*单元***"),
        ("3号楼2单元门口，5号会议室", "3号楼2单元门口，5号会议室"),
    ],
)
def test_mask_text(text, masked):
    assert mask_text(text) == masked


def test_findings_say_what_and_where_for_the_summary_editor():
    text = "联系人：李四 电话 137-0000-1111 身份证 110101199003071234"
    found = find_personal_data(text)
    assert [(f.kind, f.text) for f in found] == [
        (NAME, "李四"),
        (PHONE, "137-0000-1111"),
        (ID_NUMBER, "110101199003071234"),
    ]
    assert all(text[f.start : f.end] == f.text for f in found)
    assert [f.masked for f in found] == ["李*", "137****1111", "**************1234"]
    assert find_personal_data("已更换灯泡，恢复照明。") == []
    assert [f.kind for f in find_personal_data("卡号 6217 0000 0000 0000 0")] in ([BANK_CARD], [NUMBER])


# -------------------------------------------------------------------------------------------------- Hypothesis

# Random Chinese text around what is planted: no digits, no labels, nothing that could itself be personal data.
_cjk = st.text(alphabet=st.sampled_from("路灯不亮楼道堆物有水管漏了请尽快处理，。 ！"), max_size=20)
_mobile = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
_id_number = st.from_regex(
    r"[1-6][0-9]{5}(19[5-9][0-9]|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}[0-9X]", fullmatch=True
)
_separator = st.sampled_from([" ", ".", "-", "/", " - ", "　", "．", "－", "_"])
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def spelled(draw, digits):
    """``digits`` as people spell them to get past a filter: split at random places by spaces, dots, dashes or
    slashes, every digit apart, full-width, with +86 in front …"""
    styles = ["plain", "groups", "random", "each", "full", "full-groups"]
    style = draw(st.sampled_from(styles + (["country"] if len(digits) == 11 else [])))
    if style == "plain":
        return digits
    if style in ("groups", "full-groups"):
        sep = draw(_separator)
        sizes = [3, 4, 4] if len(digits) == 11 else [6, 8, 4]
        parts, at = [], 0
        for size in sizes:
            parts.append(digits[at : at + size])
            at += size
        out = sep.join(parts)
        return out.translate(_FULL_WIDTH) if style == "full-groups" else out
    if style == "random":
        cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=5)))
        pieces, last = [], 0
        for cut in [*cuts, len(digits)]:
            pieces.append(digits[last:cut])
            last = cut
        return "".join(p + (draw(_separator) if i < len(pieces) - 1 else "") for i, p in enumerate(pieces))
    if style == "each":
        return " ".join(digits)
    if style == "full":
        return digits.translate(_FULL_WIDTH)
    return draw(st.sampled_from(["+86 ", "+86-", "0086 ", "86"])) + digits


def _plain_digits(text):
    return re.sub(r"\D", "", text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


def _covered(found, start, end):
    return any(f.start <= start and end <= f.end for f in found)


@settings(deadline=None)  # the machine may be busy; what matters is the answer
@given(before=_cjk, between=_cjk, after=_cjk, data=st.data(), phone=_mobile, id_number=_id_number)
def test_every_phone_and_id_number_in_any_spelling_is_masked(before, between, after, data, phone, id_number):
    written_phone, written_id = data.draw(spelled(phone)), data.draw(spelled(id_number))
    text = f"{before}{written_phone}{between}，{written_id}。{after}"
    phone_at = len(before)
    id_at = phone_at + len(written_phone) + len(between) + 1
    found = find_personal_data(text)
    assert _covered(found, phone_at + (written_phone[0] == "+"), phone_at + len(written_phone))
    assert _covered(found, id_at, id_at + len(written_id))
    masked = mask_text(text)
    assert written_phone not in masked and written_id not in masked
    # What is left of each is its mask: 3 + 4 digits of the phone, the last 4 of the ID number.
    assert masked.count("*") == 4 + 14
    assert len(_plain_digits(masked).replace("X", "")) == 7 + 4 - (id_number[-1] == "X")


_SURNAME = st.sampled_from("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
_GIVEN = st.text(
    alphabet=st.sampled_from("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红小大家生志元信和美海"),
    min_size=1,
    max_size=2,
)


@given(
    before=_cjk,
    after=_cjk,
    label=st.sampled_from(["名字", "我叫", "联系人", "姓名:", "姓名：", "名字叫", "申请人", "我是", "已联系"]),
    surname=_SURNAME,
    given_name=_GIVEN,
)
def test_a_name_after_a_label_is_masked(before, after, label, surname, given_name):
    name = surname + given_name
    masked = mask_text(f"{before}{label}{name}{after}")
    assert name not in masked
    assert f"{label}{surname}*" in masked


_harmless = st.one_of(
    st.from_regex(r"路灯编号 ?0[0-9]{4,6}", fullmatch=True),  # asset tags
    st.from_regex(r"订单号 ?[2-9][0-9]{7,9}", fullmatch=True),  # order numbers of other lengths
    st.from_regex(r"订单号 ?[2-9][0-9]{19,22}", fullmatch=True),
    st.from_regex(r"单号 ?[2-57-9][0-9]{15,16}", fullmatch=True),
    st.from_regex(r"(19|20)[0-9]{2}(-|/|\.|年)(0?[1-9]|1[0-2])(-|/|\.|月)(0?[1-9]|[12][0-9])日?", fullmatch=True),
    st.from_regex(r"(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])", fullmatch=True),  # 20240501
    st.from_regex(r"[1-9][0-9]{0,7}(\.[0-9]{2})?元", fullmatch=True),  # amounts
    st.from_regex(r"[1-9][0-9]{0,2}(,[0-9]{3}){1,3}\.[0-9]{2}元", fullmatch=True),
    st.from_regex(r"([01][0-9]|2[0-3]):[0-5][0-9]", fullmatch=True),
    st.from_regex(r"(3|5|12)号楼[1-9]单元", fullmatch=True),
    st.sampled_from(["12345", "110", "95598", "12345 热线"]),
)


@settings(deadline=None)
# Words between the numbers hold more than spaces: "3号楼1单元 110" reads as a flat (room 110), as residents write it.
@given(parts=st.lists(st.tuples(_cjk.filter(str.strip), _harmless), min_size=1, max_size=4), end=_cjk)
def test_numbers_of_other_shapes_survive_unchanged(parts, end):
    text = "".join(f"{words}{number}" for words, number in parts) + end
    assert mask_text(text) == text
    assert find_personal_data(text) == []


@given(_cjk)
def test_mask_text_leaves_text_without_personal_data_alone(text):
    assert mask_text(text) == text


@given(st.text(max_size=80))
def test_mask_text_is_stable_and_findings_do_not_overlap(text):
    once = mask_text(text)
    assert mask_text(once) == once
    found = find_personal_data(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


@given(st.text(alphabet=st.sampled_from("0123456789 .-/１３８X叫名字联系人电话身份证"), max_size=60))
def test_mask_text_is_stable_on_digit_soup(text):
    once = mask_text(text)
    assert mask_text(once) == once


def test_a_hotline_after_a_unit_is_not_a_flat():
    """Found by hypothesis: "3号楼1单元 12345" lost the hotline's digits to a flat of four."""
    assert mask_text("3号楼1单元 12345") == "3号楼1单元 12345"
    assert mask_text("3号楼1单元 1203") == "3号楼*单元 ****"
