"""Citation verification of generated answers, on hand-made clauses (no index, no model)."""

from __future__ import annotations

from helpers import retrieved_clause as clause

from assistant.answering.verify import NO_ANSWER, StreamVerifier, specifics, verify
from assistant.types import REFUSAL_PREFIX

TITLE_A = "浙江省未来产业先导区建设星火计划（2026—2030年）"
TITLE_B = "遂昌县关于培育发展未来产业的实施意见"




CLAUSES = [
    clause(1, TITLE_A, ["一、发展目标"],
           "到2030年，全省培育未来产业先导区20个，未来产业增加值占规上工业比重达到8%。"),
    clause(2, TITLE_B, ["三、重点举措", "（三）加速创新成果转化应用"],
           "建设概念验证中心和中试基地，对新认定的省级中试基地给予最高500万元奖励。"
           "（责任单位：县科技局、县经信局）"),
    clause(3, TITLE_B, ["一、发展目标"], "到2027年，全县引育未来产业企业30家，建成“未来工厂”2家。"),
]
QUESTION = "未来产业先导区的目标是什么？"


def test_a_good_answer_survives_intact():
    text = "到2030年，浙江全省培育未来产业先导区20个[1]。未来产业增加值占规上工业比重达到8%[1]。"
    answer = verify(QUESTION, text, CLAUSES)
    assert answer.answered
    assert answer.answer == text
    assert [c.chunk_id for c in answer.citations] == ["c1"]
    assert answer.unsupported_claims == []
    assert "unsupported_claims" not in answer.public()


def test_markers_are_renumbered_in_order_of_first_use():
    text = "遂昌对新认定的省级中试基地给予最高500万元奖励[2]。到2027年遂昌引育未来产业企业30家[3]。" \
           "浙江到2030年培育未来产业先导区20个[1][2]。"
    answer = verify(QUESTION, text, CLAUSES)
    assert answer.answered
    assert [c.chunk_id for c in answer.citations] == ["c2", "c3", "c1"]
    assert [c.n for c in answer.citations] == [1, 2, 3]
    assert "500万元奖励[1]" in answer.answer and "30家[2]" in answer.answer
    # [2] on the last sentence is renumbered too: clause 2 is [1]
    assert answer.answer.endswith("20个[3][1]。")


def test_a_marker_pointing_at_no_clause_is_dropped():
    text = "浙江到2030年培育未来产业先导区20个[1][7]。"
    answer = verify(QUESTION, text, CLAUSES)
    assert answer.answered and "[7]" not in answer.answer
    assert [c.chunk_id for c in answer.citations] == ["c1"]


def test_only_a_wrong_marker_leaves_no_citation_so_it_is_a_refusal():
    answer = verify(QUESTION, "浙江到2030年培育未来产业先导区20个[7]。", CLAUSES)
    assert not answer.answered and answer.citations == []
    assert answer.answer.startswith(REFUSAL_PREFIX)
    assert CLAUSES[0].clause.label in answer.answer  # the nearest clauses are shown
    assert answer.unsupported_claims


def test_an_invented_number_is_removed_and_reported():
    text = "浙江到2030年培育未来产业先导区20个[1]。全省还将设立100亿元产业基金[1]。"
    answer = verify(QUESTION, text, CLAUSES)
    assert answer.answered
    assert "100亿" not in answer.answer and "20个[1]" in answer.answer
    assert answer.unsupported_claims == ["全省还将设立100亿元产业基金。"]
    public = answer.public()["unsupported_claims"]
    assert public == {"count": 1, "sentences": ["全省还将设立100亿元产业基金。"]}


def test_a_citation_to_a_clause_that_does_not_say_it():
    # 500万元 is in clause 2, not in clause 1; and a sentence clause 3 does not talk about.
    text = ("遂昌对新认定的省级中试基地给予最高500万元奖励[1]。"
            "概念验证中心由县科技局和县经信局负责建设推进[3]。"
            "浙江到2030年培育未来产业先导区20个[1]。")
    answer = verify(QUESTION, text, CLAUSES)
    assert answer.answered
    assert answer.answer == "浙江到2030年培育未来产业先导区20个[1]。"
    assert len(answer.unsupported_claims) == 2


def test_quoted_names_and_dates_must_be_in_the_cited_clause():
    ok = verify(QUESTION, "遂昌到2027年建成“未来工厂”2家[3]。", CLAUSES)
    assert ok.answered and not ok.unsupported_claims
    bad = verify(QUESTION, "遂昌到2027年建成“灯塔工厂”2家[3]。", CLAUSES)
    assert not bad.answered and bad.unsupported_claims
    title = verify(QUESTION, f"《{TITLE_B}》提出到2027年引育未来产业企业30家[3]。", CLAUSES)
    assert title.answered
    wrong_year = verify(QUESTION, "遂昌到2028年引育未来产业企业30家[3]。", CLAUSES)
    assert not wrong_year.answered


def test_the_sentinel_is_a_refusal():
    answer = verify("深圳的人才补贴是多少？", NO_ANSWER + "。", CLAUSES)
    assert not answer.answered and answer.citations == []
    assert answer.answer.startswith(REFUSAL_PREFIX)


def test_a_reply_without_markers_is_a_refusal():
    answer = verify(QUESTION, "浙江到2030年培育未来产业先导区20个。", CLAUSES)
    assert not answer.answered
    assert answer.unsupported_claims == ["浙江到2030年培育未来产业先导区20个。"]


def test_marker_variants_and_connectives():
    text = "具体如下：\n浙江到2030年培育未来产业先导区20个【1】；遂昌最高奖励500万元[1, 2]。"
    answer = verify(QUESTION, text, CLAUSES)
    assert answer.answered
    assert answer.answer.startswith("具体如下：")
    assert "20个[1]" in answer.answer and "[1][2]" in answer.answer


def test_streaming_shows_only_verified_sentences_with_final_numbers():
    verifier = StreamVerifier(QUESTION, CLAUSES)
    reply = "遂昌对新认定的省级中试基地给予最高500万元奖励[2]。全省设立100亿元基金[2]。浙江到2030年培育先导区20个[1]。"
    shown = []
    for i in range(0, len(reply), 3):
        shown += verifier.feed(reply[i:i + 3])
    # The last sentence is complete only when the reply ends.
    assert shown == ["遂昌对新认定的省级中试基地给予最高500万元奖励[1]。"]
    answer = verifier.finish()
    assert answer.answer == shown[0] + "浙江到2030年培育先导区20个[2]。"
    assert shown[0].endswith("奖励[1]。") and answer.unsupported_claims == ["全省设立100亿元基金。"]


def test_specifics():
    found = specifics("1. 到2030年3月，比重达到8.5%，奖励1,000万元，见《某某办法》和“未来工厂”[2]。")
    assert ("date", "2030年3月") in found
    assert ("percent", "8.5%") in found
    assert ("number", "1,000") in found
    assert ("name", "某某办法") in found and ("name", "未来工厂") in found
    assert ("number", "2") not in found and ("number", "1") not in found


def test_each_citation_highlights_the_pieces_of_its_clause_that_state_the_values():
    text = "遂昌对新认定的省级中试基地最高奖励500万元[2]。到2027年遂昌要建成“未来工厂”2家[3]。"
    answer = verify(QUESTION, text, CLAUSES)
    assert answer.answered
    by_chunk = {c.chunk_id: c for c in answer.citations}
    grant = by_chunk["c2"].quotes
    assert [q.text for q in grant] == ["建设概念验证中心和中试基地，对新认定的省级中试基地给予最高500万元奖励。"]
    assert by_chunk["c2"].text[grant[0].start:grant[0].end] == grant[0].text
    # Values stated in two pieces of a clause highlight both.
    both = verify(QUESTION, "到2030年全省培育先导区20个，增加值比重达到8%[1]。", [
        clause(1, TITLE_A, ["一、发展目标"], "到2030年，全省培育未来产业先导区20个；未来产业增加值占规上工业比重达到8%。")])
    assert [q.text for q in both.citations[0].quotes] == ["到2030年，全省培育未来产业先导区20个；", "未来产业增加值占规上工业比重达到8%。"]
