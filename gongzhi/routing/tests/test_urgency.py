from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gongzhi.routing import urgency
from gongzhi.routing.tests.labelled import URGENCY


def test_labelled_urgency_examples_all_right():
    wrong = [(text, expected) for text, expected in URGENCY if urgency.detect(text).emergency != expected]
    positives = sum(1 for _t, e in URGENCY if e)
    flagged = [t for t, _e in URGENCY if urgency.detect(t).emergency]
    true_pos = sum(1 for t, e in URGENCY if e and t in flagged)
    print(
        f"urgency: {len(URGENCY)} labelled, precision {true_pos / len(flagged):.3f}, recall {true_pos / positives:.3f}"
    )
    assert wrong == []


def test_reasons_name_what_fired():
    assert urgency.detect("厨房有很浓的煤气味").reasons[0] == "煤气味"
    assert urgency.detect("电梯停在两层中间，里面有个老人出不来").reasons == ("people in a stuck lift",)
    assert urgency.detect("路灯不亮") == urgency.Urgency(emergency=False, reasons=())


def test_negation_stays_in_its_clause():
    assert not urgency.detect("没有煤气味").emergency
    assert urgency.detect("家里没有暖气，闻到很浓的煤气味").emergency


@given(st.sampled_from(urgency.TERMS), st.text(alphabet="楼道里现在家门口突然有", max_size=6))
def test_a_term_counts_and_its_denial_does_not(term, lead):
    assert urgency.detect(f"{lead}{term}").emergency
    assert not urgency.detect(f"{lead}没有{term}").emergency
    assert not urgency.detect(f"担心{term}").emergency


@given(st.text(max_size=300))
def test_never_fails_on_any_text(text):
    result = urgency.detect(text)
    assert result.emergency == bool(result.reasons)
