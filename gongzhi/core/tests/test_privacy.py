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
