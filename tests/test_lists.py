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
