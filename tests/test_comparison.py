"""Comparisons named side by side: places qualifying documents, document kinds, what sides share."""

from __future__ import annotations

from helpers import composer_over, retrieved_clause

from assistant.answering import questions as q


def _doc(rc, doc_id):
    rc.clause.doc_id = doc_id
    return rc


# Two documents of one province (one an 实施意见, one a plan with a short name) and a city's.
OPINIONS = _doc(retrieved_clause(1, "浙江省关于加快培育未来产业的实施意见", ["一、主要目标"],
                                 "到2027年，培育未来产业先导区35个、领军企业20家。"), "zj-op")
PLAN = _doc(retrieved_clause(2, "浙江省实施“领航计划”培育未来产业行动方案", ["一、总体要求"],
                             "到2030年，培育未来产业先导区60个，重点支持人形机器人、类脑智能、合成生物等领域。"), "zj-plan")
CITY = _doc(retrieved_clause(3, "宁波市未来产业培育行动计划", ["二、重点领域"],
                             "重点支持人形机器人、类脑智能、元宇宙等领域，建成未来产业先导区10个以上。"), "nb")
CITY_FUND = _doc(retrieved_clause(4, "宁波市未来产业培育行动计划", ["四、保障措施"],
                                  "设立未来产业投资基金，支持重点项目建设。"), "nb")


def _ask(question):
    pool = [OPINIONS, PLAN, CITY, CITY_FUND]
    return composer_over(*pool).compose(question, pool)


def test_a_place_before_a_document_name_qualifies_it_rather_than_being_a_side():
    ans = _ask("宁波和浙江领航计划各自要培育多少个未来产业先导区？")
    assert ans.answered
    first, second = ans.answer.split("\n")
    assert first.startswith("宁波：") and "10个以上" in first and "60个" not in first
    assert second.startswith("“领航计划”：") and "60个" in second and "35个" not in second
    assert {c.doc_id for c in ans.citations} == {"nb", "zj-plan"}


def test_a_document_called_by_its_kind_after_its_place_is_a_side():
    ans = _ask("浙江的实施意见和领航计划分别要培育多少个未来产业先导区？")
    assert ans.answered
    first, second = ans.answer.split("\n")
    assert first.startswith("《浙江省关于加快培育未来产业的实施意见》：") and "35个" in first
    assert second.startswith("“领航计划”：") and "60个" in second
    # The document kind names a document, not the topic: neither side is called silent on 实施意见.
    assert "未载明" not in ans.answer


def test_what_two_sides_both_list_is_named_and_cited_on_each_side():
    ans = _ask("宁波和领航计划都重点支持哪些领域？")
    assert ans.answered
    shared = ans.answer.split("\n")[0]
    assert shared.startswith("共同提到：")
    assert "人形机器人" in shared and "类脑智能" in shared
    assert "元宇宙" not in shared and "合成生物" not in shared
    cited = {c.n: c.doc_id for c in ans.citations}
    marks = [int(n) for n in shared.split("人形机器人")[1].split("、")[0].strip("[]").split("][")]
    assert {cited[n] for n in marks} == {"nb", "zj-plan"}


def test_nothing_in_common_is_said_plainly():
    # Both speak of 先导区 but list no field in common.
    ans = _ask("宁波和浙江的实施意见都提出了哪些未来产业先导区目标？")
    assert ans.answer.split("\n")[0] == "所引条款中未见各方共同列出的项。"
    # A side with nothing on the topic: no claim of what is shared, the silence is said.
    ans = _ask("宁波和浙江的实施意见都提出了哪些投资基金？")
    assert not ans.answer.startswith(("共同提到", "所引条款"))
    assert "《浙江省关于加快培育未来产业的实施意见》：已收录的文件中未载明" in ans.answer


def test_a_single_side_summing_up_with_dou_is_no_comparison():
    assert not q.asks_common("成都的未来产业都有哪些？")
    assert not q.asks_common("成都和杭州有什么不同？")  # 都 inside 成都 is no word of its own
    assert q.asks_common("杭州和成都都重点培育哪些产业？")
    assert q.asks_common("哪些也出现在成都的细分领域里？")
    ans = _ask("宁波重点培育的细分领域都有哪些？")
    assert ans.answered and "：" not in ans.answer.split("[")[0]


def test_a_document_kind_is_not_the_framed_topic():
    assert q.framed_topic("浙江的实施意见和领航计划分别要培育多少个先导区？", ["实施意见"]) is None
    assert q.framed_topic("成都的人才政策分别有哪些？") == "人才政策"


def test_who_issued_each_document_is_a_document_detail():
    ans = _ask("宁波的行动计划和浙江的实施意见分别是哪个单位印发的？")
    assert ans.citations == [] or all(c.section_path == [] or "文件信息" in c.label for c in ans.citations)



OP_REGION = _doc(retrieved_clause(6, "浙江省关于加快培育未来产业的实施意见", ["二、区域布局", "3.台州"],
                                  "3.台州。重点发展生物制药和低空经济。"), "zj-op")
PLAN_REGION = _doc(retrieved_clause(7, "浙江省实施“领航计划”培育未来产业行动方案", ["二、区域布局", "3.台州"],
                                    "3.台州。重点发展空天装备和具身智能。"), "zj-plan")
PLAN_OTHER = _doc(retrieved_clause(8, "浙江省实施“领航计划”培育未来产业行动方案", ["二、区域布局", "4.湖州"],
                                   "4.湖州。重点发展前沿电池。"), "zj-plan")


def _ask_regions(question):
    pool = [OPINIONS, PLAN, OP_REGION, PLAN_OTHER, PLAN_REGION]
    return composer_over(*pool).compose(question, pool)


def test_a_place_inside_compared_documents_is_looked_for_in_each():
    ans = _ask_regions("浙江的实施意见和领航计划中，台州的重点发展方向分别是什么？")
    first, second = ans.answer.split("\n")
    assert "生物制药" in first and "空天装备" in second
    assert "前沿电池" not in ans.answer
    assert {c.chunk_id for c in ans.citations} == {"c6", "c7"}


def test_documents_counted_by_the_question_are_not_its_topic():
    ans = _ask_regions("两份浙江省级文件对台州的定位分别是什么？")
    assert "未载明关于两份" not in ans.answer and "文件的内容" not in ans.answer


def test_which_side_has_more_is_answered_side_by_side():
    assert q.analyse("宁波和领航计划谁的先导区目标更多？").weighs
    assert not q.analyse("宁波的先导区目标是多少？").weighs
    ans = _ask("宁波和领航计划谁培育的未来产业先导区更多？")
    first, second = ans.answer.split("\n")
    assert first.startswith("宁波：") and "10个以上" in first
    assert second.startswith("“领航计划”：") and "60个" in second


def test_a_framed_topic_is_quoted_when_the_question_words_are_not_the_documents():
    # 表述 is the question's word for how a document puts it; the clauses hold the topic only.
    ans = _ask_regions("浙江的实施意见和领航计划对低空经济的表述有何不同？")
    first, second = ans.answer.split("\n")
    assert "低空经济" in first and first.startswith("《浙江省关于加快培育未来产业的实施意见》：")
    assert second == "“领航计划”：已收录的文件中未载明关于低空经济的内容。"


def test_documents_named_side_by_side_without_quotes_are_each_sides_name_not_its_topic():
    beidou = _doc(retrieved_clause(11, "上海市北斗产业高质量发展三年行动计划（2021-2023年）", ["二、发展目标"],
                                   "推动北斗时空信息产业规模达1000亿元。"), "beidou")
    space = _doc(retrieved_clause(12, "上海市促进商业航天发展打造空间信息产业高地行动计划（2023—2025年）",
                                  ["二、发展目标"], "实现空间信息产业规模超2000亿元。"), "space")
    pool = [beidou, space]
    ans = composer_over(*pool).compose("上海北斗行动计划和商业航天行动计划，产业规模目标分别是多少", pool)
    first, second = ans.answer.split("\n")[:2]
    # Before, each side was asked about 北斗 and 航天 and the Beidou side was called silent.
    assert "1000亿元" in first and "2000亿元" not in first
    assert "2000亿元" in second and "未载明" not in ans.answer
