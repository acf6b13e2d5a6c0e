"""A steward below the community keeps the stalls of their community's markets (the same community they read), and
no other community's."""

from __future__ import annotations

import pytest

from gongzhi.market import policies
from gongzhi.market.tests.factories import market_world

pytestmark = pytest.mark.django_db


def test_a_steward_keeps_the_stalls_of_their_community_only():
    w = market_world()
    ours = w.event()
    theirs = w.event(actor=w.other_staff, node=w.other_community)
    assert policies.can_desk(w.steward, ours.node) and not policies.can_manage(w.steward, ours.node)
    assert not policies.can_desk(w.steward, theirs.node)
    assert not policies.can_desk(w.other_staff, ours.node)
