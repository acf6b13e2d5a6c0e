import pytest

from gongzhi.core.privacy import mask_name, mask_phone


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


# ------------------------------------------------------------------------------------------------------ mask_text

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gongzhi.core.privacy import mask_text  # noqa: E402


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
    ],
)
def test_mask_text(text, masked):
    assert mask_text(text) == masked


_cjk = st.text(alphabet=st.sampled_from("路灯不亮楼道堆物我家电话号码是，。 "), max_size=20)
_mobile = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
_id_number = st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True)


@given(before=_cjk, after=_cjk, phone=_mobile, id_number=_id_number)
def test_mask_text_never_lets_a_phone_or_id_number_through(before, after, phone, id_number):
    masked = mask_text(f"{before}电话{phone}，{after}身份证{id_number}。{before}")
    assert phone not in masked
    assert id_number not in masked
    assert phone[:3] + "****" + phone[-4:] in masked
    assert id_number[-4:] in masked


@given(_cjk)
def test_mask_text_leaves_text_without_personal_data_alone(text):
    assert mask_text(text) == text


@given(st.text(max_size=60))
def test_mask_text_is_stable(text):
    once = mask_text(text)
    assert mask_text(once) == once
