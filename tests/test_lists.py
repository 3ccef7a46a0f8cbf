"""Counted lists (哪六大领域): the list whose items are called what the question calls them."""

from __future__ import annotations

from helpers import FixedRetriever, fixture_composer, retrieved_clause

TITLE = "平阳县关于培育未来产业的实施意见"


def _clause(n, path, text):
    rc = retrieved_clause(n, TITLE, path, text)
    rc.clause.doc_id = "py"
    return rc


# A six-item list of something else ranks first; the six fields sit in a clause not retrieved.
MODEL = _clause(1, ["五、保障措施", "（二）创新推进模式"],
                "围绕未来产业细分领域，配置专家委员会、研发机构、创新平台、投资基金、验证中心、创业团队，构建“6+N”培育体系。")
VISION = _clause(2, ["一、总体要求", "（三）发展愿景"],
                 "在前沿生物、先进能源、未来交通、数字智能、泛在网络、新型材料等重点培育领域，掌握一批关键技术。")
FUND = _clause(3, ["四、生态营造", "（四）天使基金"], "瞄准未来产业六大领域组建子基金。")


def test_a_counted_list_named_like_the_question_comes_first_even_unretrieved():
    retriever = FixedRetriever([MODEL, FUND, VISION])
    retrieved = [MODEL, FUND]  # the vision clause is not among the retrieved
    ans = fixture_composer(retriever).compose("平阳的未来产业六大领域分别是哪些？", retrieved)
    assert ans.answered and "前沿生物" in ans.answer and "专家委员会" not in ans.answer
    assert [c.chunk_id for c in ans.citations] == ["c2"]


def test_a_counted_list_of_a_sections_parts_each_called_so_comes_first_even_unretrieved():
    # 主要任务 is a section whose six parts are each called a 计划; the section is not retrieved,
    # and a three-item list of one of its parts is.
    plans = ["人才领航", "创新策源", "孵化裂变", "场景创新", "产业先导", "资本护航"]
    numerals = "一二三四五六"
    heads = [f"（{numerals[i]}）实施{p}计划" for i, p in enumerate(plans)]
    section = _clause(10, ["三、主要任务"], "三、主要任务 下设：" + "；".join(heads))
    section.clause.kind = "section"
    section.clause.children = [f"c{20 + i}" for i in range(6)]
    parts = [_clause(20 + i, ["三、主要任务", h], f"{h}。推进{plans[i]}工作。") for i, h in enumerate(heads)]
    first = _clause(30, ["三、主要任务", heads[1]], "（二）实施创新策源计划包括：1.基础研究；2.技术攻关；3.创新平台。")
    retriever = FixedRetriever([first, section, *parts])
    ans = fixture_composer(retriever).compose("平阳的主要任务由哪六大计划组成？", [first])
    assert ans.answered
    assert all(p in ans.answer for p in plans), ans.answer
