from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from gongzhi.routing import similarity
from gongzhi.routing.tests.labelled import AT, DUPLICATES, found_duplicate, precision_recall


def test_duplicates_without_a_model_are_stricter():
    precision, recall = precision_recall([(found_duplicate(a, b), same) for a, b, same in DUPLICATES])
    print(f"duplicates (text only): {len(DUPLICATES)} pairs, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.75


def test_far_away_or_other_node_is_no_duplicate():
    text = "3号楼门口的路灯不亮了"
    far = similarity.Candidate(1, text, AT, 30.01, 120.0)  # ~1.1 km north
    assert similarity.duplicates(text, [far], lat=30.0, lon=120.0, max_distance_m=300) == []
    same_node = similarity.Candidate(2, text, AT, node_id=7)
    other_node = similarity.Candidate(3, text, AT, node_id=8)
    found = similarity.duplicates(text, [same_node, other_node], node_id=7)
    assert [(m.case_id, m.similarity, m.distance_m) for m in found] == [(2, 1.0, None)]


def test_distance_is_haversine_metres():
    assert abs(similarity.distance_m(30.0, 120.0, 30.001, 120.0) - 111.19) < 0.1


def test_chinese_numerals_match_digits():
    assert similarity.cosine(similarity.vector("三号楼路灯"), similarity.vector("3号楼路灯")) > 0.99


def test_clusters_group_similar_texts_within_a_group():
    texts = [
        "东门垃圾桶满了没人收",
        "东门垃圾桶满了好几天没人收",
        "东门的垃圾桶又满了没人收",
        "3号楼路灯不亮",
        "西门井盖丢了",
    ]
    items = [
        similarity.Item(i, t, AT + timedelta(hours=i), "sanitation.uncollected" if i < 3 else "x")
        for i, t in enumerate(texts)
    ]
    found = similarity.clusters(items)
    assert [[item.case_id for item in c.items] for c in found] == [[0, 1, 2]]
    keywords = found[0].keywords()
    # Whole words the reports share, not character pairs that straddle two words (圾桶, 了没).
    assert {"垃圾桶", "东门"} <= set(keywords) and all(len(k) >= 2 for k in keywords)
    assert not {"圾桶", "了没", "满了"} & set(keywords)


@given(st.text(max_size=80), st.text(max_size=80))
def test_cosine_is_symmetric_and_bounded(a, b):
    va, vb = similarity.vector(a), similarity.vector(b)
    assert abs(similarity.cosine(va, vb) - similarity.cosine(vb, va)) < 1e-9
    assert -1e-9 <= similarity.cosine(va, vb) <= 1 + 1e-9
