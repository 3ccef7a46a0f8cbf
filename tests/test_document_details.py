"""Document details answered from the document itself: whom it is addressed to (主送机关)."""

from __future__ import annotations

import pytest
from helpers import composer_over, retrieved_clause


def _doc(rc, doc_id):
    rc.clause.doc_id = doc_id
    return rc


CITY = _doc(retrieved_clause(3, "宁波市未来产业培育行动计划", ["二、重点领域"],
                             "重点支持人形机器人、类脑智能、元宇宙等领域，建成未来产业先导区10个以上。"), "nb")


def test_the_addressee_line_opens_the_body_of_an_official_document():
    from assistant.reading.metadata import addressees

    assert addressees("各区（市）县政府（管委会），市级有关部门，有关单位：\n未来产业是…") == \
        "各区（市）县政府（管委会），市级有关部门，有关单位"
    # A notice's title first, and the addressees run on into the text.
    assert addressees("某县人民政府办公室关于印发《…》的通知\n各乡（镇）人民政府、街道办事处，县政府直属各单位：经县政府同意…") \
        == "各乡（镇）人民政府、街道办事处，县政府直属各单位"
    assert addressees("为加快发展，现提出如下意见：") is None
    assert addressees("一、总体要求\n（一）指导思想") is None


def test_whom_a_document_is_addressed_to_is_answered_from_its_first_line():
    sent = _doc(retrieved_clause(5, "某市关于支持创新的实施意见", ["序言"],
                                 "各区人民政府，市政府各部门：\n为支持创新，提出如下意见。"), "sent")
    ans = composer_over(sent, CITY).compose("某市支持创新的实施意见的主送机关是哪些？", [sent, CITY])
    assert ans.answered and "各区人民政府，市政府各部门" in ans.answer
    assert [c.chunk_id for c in ans.citations] == ["c5"]
    ans = composer_over(CITY, sent).compose("宁波的行动计划发给哪些单位？", [CITY, sent])
    assert not ans.answered and "未载明主送机关" in ans.answer


@pytest.mark.slow
def test_a_yes_no_question_is_answered_only_by_a_sentence_that_states_it(real_assistant):
    # 遂昌's plan builds incubators but says nothing of rent.
    ans = real_assistant.ask("遂昌是否对孵化器给予租金减免？")
    assert not ans.answered and "租金" in ans.answer
    # “提到…了吗” asks whether the text speaks of it: 提到 is no word the text must hold.
    ans = real_assistant.ask("遂昌的实施意见提到氢能了吗？")
    assert ans.answered and "氢能" in ans.answer


@pytest.mark.slow
def test_a_draft_is_called_by_its_stage_and_its_stage_is_a_document_detail(real_assistant):
    # 二次征求意见稿 is how the province's draft calls itself: the question is scoped to it.
    ans = real_assistant.ask("二次征求意见稿里到2027年要培育多少家领军企业？")
    assert ans.answered and "20家" in ans.answer
    assert {c.doc_id for c in ans.citations} == {"zhejiang-future-industries-opinions-draft2"}
    ans = real_assistant.ask("浙江实施意见是第几次征求意见稿？")
    assert ans.answered and "二次征求意见稿" in ans.answer and "尚未正式印发" in ans.answer


@pytest.mark.slow
def test_details_are_of_the_document_of_the_kind_the_question_names(real_assistant):
    # 浙江 has a 实施意见 and a 行动方案: the question calls the first by its kind.
    ans = real_assistant.ask("浙江实施意见是哪个部门发布的？")
    said = ans.answer.split("可能相关的条款")[0]  # the nearest clauses listed after may be any
    assert said.startswith("《关于加快培育未来产业的实施意见》中未载明发文机关") and "星火计划" not in said


@pytest.mark.slow
def test_a_detail_the_header_lacks_is_read_where_the_text_tells_that_documents_issue(real_assistant):
    # The drafting notes tell when the province's guiding opinions were issued.
    ans = real_assistant.ask("杭州起草说明里提到的省级指导意见是什么时候印发的？")
    assert ans.answered and "2023年2月" in ans.answer
    # Other documents' issue, or the years in the plan's own name, are not its issue date.
    ans = real_assistant.ask("杭州的行动计划什么时候正式印发？")
    assert not ans.answered and "未载明" in ans.answer
