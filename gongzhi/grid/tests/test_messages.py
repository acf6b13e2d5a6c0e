"""Refusals of the grid services name the levels in the reader's language (core.errors)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from gongzhi.core.errors import DomainError
from gongzhi.grid import services


def test_a_grid_refusal_names_the_levels_in_the_readers_language():
    with pytest.raises(DomainError) as refused:
        services.validate_child_level(SimpleNamespace(level="street"), "grid")
    assert str(refused.value) == "a street node's children are community nodes, not grid"
    with translation.override("zh-hans"):
        assert refused.value.message == "街道节点的下级应为社区节点，不能是网格"
