"""Validity through the assistant: statuses on citations, the sentence on a quoted document not
in force, validity questions, versions ranked, status filters and ``as_of`` — in the service,
the CLI, the HTTP API (``/api`` and ``/v1``) and Slack blocks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner
from validity_docs import TODAY, make_assistant

from assistant.service import QuestionError
from assistant.slack.blocks import answer_blocks, clause_blocks, scope_of
from assistant.types import VALIDITY_STATES, Filters


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    return make_assistant(tmp_path_factory.mktemp("validity"))


def cited_docs(answer) -> list[str]:
    return [c.doc_id for c in answer.citations]


def test_every_document_has_the_one_json_shape(assistant):
    docs = {d["doc_id"]: d for d in assistant.documents(TODAY)}
    for d in docs.values():
        v = d["validity"]
        assert {"issued", "effective_from", "effective_until", "status", "as_of", "evidence", "supersedes",
                "superseded_by"} <= set(v)
        assert v["status"] in VALIDITY_STATES and v["as_of"] == TODAY
        assert all(set(e) == {"field", "text", "chunk_id"} for e in v["evidence"])
    statuses = {doc_id: d["validity"]["status"] for doc_id, d in docs.items()}
    assert statuses == {"rd-subsidy-2022": "superseded", "rd-subsidy-2026": "in_force",
                        "exhibition-2024": "expired", "digital-plan-2021": "expired",
                        "low-altitude-draft": "draft", "hydrogen-2027": "not_yet", "culture-notice": "unknown"}
    new = docs["rd-subsidy-2026"]["validity"]
    assert (new["effective_from"], new["effective_until"]) == ("2026-02-01", "2029-01-31")
    assert [s["doc_id"] for s in new["supersedes"]] == ["rd-subsidy-2022"]
    assert [s["doc_id"] for s in docs["rd-subsidy-2022"]["validity"]["superseded_by"]] == ["rd-subsidy-2026"]
    # Every evidence span stands in the clause it points at.
    view = assistant.retriever.view
    for d in docs.values():
        for e in d["validity"]["evidence"]:
            assert e["text"].replace(" ", "") in view.by_id[e["chunk_id"]].text.replace(" ", "")


def test_statuses_on_another_date(assistant):
    earlier = {d["doc_id"]: d["validity"]["status"] for d in assistant.documents("2023-06-01")}
    assert earlier["rd-subsidy-2022"] == "in_force" and earlier["rd-subsidy-2026"] == "not_yet"
    assert earlier["digital-plan-2021"] == "in_force" and earlier["exhibition-2024"] == "not_yet"
    with pytest.raises(QuestionError, match="YYYY-MM-DD"):
        assistant.documents("2026-13-01")


def test_which_documents_are_in_force_not_in_force_or_state_their_end(assistant):
    gone = assistant.ask("哪些文件已经失效了？", as_of=TODAY)
    assert gone.answer.startswith("截至2026年12月7日已失效或已被替代的文件有3份")
    for title in ("某市科技企业研发补贴办法", "某县促进会展业发展若干措施", "某市数字经济三年行动计划"):
        assert title in gone.answer
    assert "氢能" not in gone.answer and "低空" not in gone.answer
    # Each document whose text states its end is cited where it does.
    assert {"rd-subsidy-2022", "exhibition-2024"} <= set(cited_docs(gone))
    current = assistant.ask("哪些政策现在还有效？", as_of=TODAY)
    assert "现行有效的文件有1份" in current.answer and "有效期至2029年1月31日" in current.answer
    ends = assistant.ask("哪几个文件写了有效期？到期时间分别是？", as_of=TODAY)
    for end in ("2025年12月31日", "2029年1月31日", "2031年12月31日"):
        assert end in ends.answer
    assert "非遗" not in ends.answer
    # Before the 2022 measure ran out, it was the one in force.
    then = assistant.ask("哪些政策现在还有效？", as_of="2023-06-01")
    assert "现行有效的文件有2份" in then.answer and "某市科技企业研发补贴办法" in then.answer


def test_an_answer_quoting_an_expired_document_says_so(assistant):
    answer = assistant.ask("某县会展展会奖励多少钱？", as_of=TODAY)
    assert answer.answered and "20万元" in answer.answer
    assert answer.answer.rstrip().endswith("该文件有效期至2025年12月31日，已失效。[2]")
    first, evidence = answer.citations
    assert (first.status, first.status_date, first.status_label) == (
        "expired", "2025-12-31", "已失效（有效期至2025年12月31日）")
    assert evidence.role == "validity" and "有效期至2025年12月31日" in evidence.quotes[0].text
    # The same measure on a day it was in force: no sentence, an in-force badge.
    before = assistant.ask("某县会展展会奖励多少钱？", as_of="2025-06-01")
    assert "已失效" not in before.answer and before.citations[0].status == "in_force"


@pytest.mark.parametrize(("question", "sentence"), [
    ("某市数字经济三年行动计划提出建多少5G基站？", "该文件实施期为2021—2023年，已届满。"),
    ("某市低空物流航线补助多少？", "该文件为征求意见稿，尚未正式印发。"),
    ("某市氢能加氢站补贴多少？", "该文件自2027年1月1日起施行，目前尚未施行。"),
])
def test_the_sentence_for_each_standing_not_in_force(assistant, question, sentence):
    answer = assistant.ask(question, as_of=TODAY)
    assert sentence in answer.answer


def test_no_sentence_for_a_document_in_force_or_of_unknown_standing(assistant):
    current = assistant.ask("某市科技企业研发补贴最高多少？", as_of=TODAY)
    assert "100万元" in current.answer and "失效" not in current.answer and "替代" not in current.answer
    assert current.citations[0].status == "in_force"
    unknown = assistant.ask("某市非遗进社区活动每季度几场？", as_of=TODAY)
    assert unknown.citations[0].status == "unknown" and unknown.citations[0].status_label == "效力未知"
    assert "\n" not in unknown.answer.strip()


def test_the_version_in_force_is_quoted_and_the_replaced_one_when_asked_for(assistant):
    current = assistant.ask("某市科技企业研发补贴最高多少？", as_of=TODAY)
    assert cited_docs(current)[0] == "rd-subsidy-2026"
    ranked = assistant.retriever.retrieve("某市科技企业研发补贴最高多少", k=6, filters=Filters(as_of=TODAY))
    docs = [r.clause.doc_id for r in ranked if r.clause.doc_id.startswith("rd-subsidy")]
    assert docs.index("rd-subsidy-2026") < docs.index("rd-subsidy-2022")
    # Before the new version applied, the old one was the version in force.
    then = assistant.ask("某市科技企业研发补贴最高多少？", as_of="2023-06-01")
    assert cited_docs(then)[0] == "rd-subsidy-2022" and "50万元" in then.answer
    old = assistant.ask("某市科技企业研发补贴最高多少？", filters=Filters(status="superseded"), as_of=TODAY)
    assert set(cited_docs(old)) <= {"rd-subsidy-2022", "rd-subsidy-2026"} and "50万元" in old.answer
    assert "自2026年2月1日起已被《某市科技企业研发补贴办法》（某科规〔2026〕1号）替代。" in old.answer


def test_is_it_still_in_force(assistant):
    answer = assistant.ask("某市科技企业研发补贴办法现在还有效吗？", as_of=TODAY)
    assert answer.answer.startswith("截至2026年12月7日，《某市科技企业研发补贴办法》现行有效：自2026年2月1日起施行，"
                                    "有效期至2029年1月31日。[1]")
    assert answer.citations[0].doc_id == "rd-subsidy-2026"
    assert any("本办法自2026年2月1日起施行，有效期3年" in q.text for q in answer.citations[0].quotes)
    plan = assistant.ask("某市数字经济三年行动计划现在还有效吗？", as_of=TODAY)
    assert "已失效：实施期为2021—2023年，已届满" in plan.answer
    unknown = assistant.ask("某市非遗进社区活动的通知现在还有效吗？", as_of=TODAY)
    assert not unknown.answered and "未载明施行日期和有效期" in unknown.answer


def test_when_it_expires_and_when_it_starts(assistant):
    until = assistant.ask("某市科技企业研发补贴办法什么时候到期？", as_of=TODAY)
    assert "有效期至2029年1月31日" in until.answer and "有效期3年" in until.answer
    start = assistant.ask("某县促进会展业发展若干措施从哪天开始施行？", as_of=TODAY)
    assert "自2024年2月1日起施行" in start.answer and "本措施自印发之日起施行" in start.answer
    assert start.citations[0].quotes
    none = assistant.ask("某市氢能产业扶持办法有效期到哪年？", as_of=TODAY)
    assert "有效期至2031年12月31日" in none.answer


def test_what_it_replaced_as_a_follow_up(assistant):
    history = [{"role": "user", "content": "某市科技企业研发补贴办法什么时候到期？"},
               {"role": "assistant", "content": "有效期至2029年1月31日。"}]
    answer = assistant.ask("它替代了哪个旧文件？", history=history, as_of=TODAY)
    assert "《某市科技企业研发补贴办法》（某科规〔2022〕1号）不再适用" in answer.answer
    assert "原《某市科技企业研发补贴办法》（某科规〔2022〕1号）同时废止" in answer.citations[0].quotes[-1].text


def test_a_cards_term_is_not_a_validity_question():
    from assistant.answering.validity import asks_validity

    assert asks_validity("电子居住证有效期多长？") is None
    assert asks_validity("这个政策现在还有效吗？") == "status"
    assert asks_validity("什么时候到期？这个办法") == "effective_until"
    assert asks_validity("这个办法从哪天开始施行？") == "effective_from"
    assert asks_validity("它替代了哪个旧文件？") == "supersedes"


def test_status_filters_are_read_on_the_date(assistant):
    hits = assistant.retriever.retrieve("补贴", k=10, filters=Filters(status="expired", as_of=TODAY))
    assert hits and {h.clause.doc_id for h in hits} <= {"exhibition-2024", "digital-plan-2021"}
    then = assistant.retriever.retrieve("补贴", k=10, filters=Filters(status="expired", as_of="2023-06-01"))
    assert then == []  # nothing had expired yet: no clause, not every clause
    with pytest.raises(QuestionError, match="unknown status 'valid'"):
        assistant.ask("补贴多少？", filters=Filters(status="valid"))
    none = assistant.ask("补贴多少？", filters=Filters(status="superseded"), as_of="2023-06-01")
    assert not none.answered and "状态为“已被替代”的文件" in none.answer


def test_the_cli_lists_statuses_on_a_date_and_badges_sources(assistant, monkeypatch):
    from assistant import cli

    monkeypatch.setattr(cli, "_assistant", lambda: assistant)
    result = CliRunner().invoke(cli.app, ["docs", "--json", "--as-of", "2023-06-01"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["as_of"] == "2023-06-01"
    assert {d["doc_id"]: d["validity"]["status"] for d in body["documents"]}["rd-subsidy-2026"] == "not_yet"
    table = CliRunner().invoke(cli.app, ["docs", "--as-of", TODAY])
    assert table.exit_code == 0 and "已被替代" in table.stdout
    bad = CliRunner().invoke(cli.app, ["docs", "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    asked = CliRunner().invoke(cli.app, ["ask", "某县会展展会奖励多少钱？", "--as-of", TODAY])
    assert asked.exit_code == 0 and "【已失效（有效期至2025年12月31日）】" in asked.stdout
    assert "该文件有效期至2025年12月31日，已失效。" in asked.stdout
    filtered = CliRunner().invoke(cli.app, ["ask", "补贴多少？", "--status", "bogus"])
    assert filtered.exit_code == 2 and "in_force" in filtered.output


def test_slack_blocks_show_the_badge_and_take_a_status(assistant):
    answer = assistant.ask("某县会展展会奖励多少钱？", as_of=TODAY)
    context = [e["text"] for b in answer_blocks(answer) if b["type"] == "context" for e in b["elements"]]
    assert any("【已失效（有效期至2025年12月31日）】" in t for t in context)
    sections = "".join(b["text"]["text"] for b in answer_blocks(answer) if b["type"] == "section")
    assert "该文件有效期至2025年12月31日，已失效。" in sections
    clause = assistant.retriever.view.by_id[answer.citations[0].chunk_id]
    facts = [e["text"] for b in clause_blocks(clause) if b["type"] == "context" for e in b["elements"]]
    assert any("已失效（有效期至2025年12月31日）" in t for t in facts)
    assert scope_of("--status expired --as-of 2025-01-01 会展奖励多少？") == ("会展奖励多少？", "expired", "2025-01-01")
    assert scope_of("只看现行有效：研发补贴多少？") == ("研发补贴多少？", "in_force", None)
    assert scope_of("研发补贴多少？") == ("研发补贴多少？", None, None)


def test_the_http_api_gives_the_shape_and_the_badges(assistant):
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    with TestClient(create_app(assistant)) as client:
        listed = client.get("/api/documents", params={"as_of": "2023-06-01"}).json()
        assert listed["as_of"] == "2023-06-01"
        by_id = {d["doc_id"]: d["validity"] for d in listed["documents"]}
        assert by_id["rd-subsidy-2022"]["status"] == "in_force"
        assert client.get("/api/documents", params={"as_of": "soon"}).status_code == 422
        one = client.get("/api/documents/exhibition-2024").json()["validity"]
        assert one["status"] in VALIDITY_STATES and one["effective_until"] == "2025-12-31"
        asked = client.post("/api/ask", json={"question": "某县会展展会奖励多少钱？", "as_of": TODAY}).json()
        assert asked["citations"][0]["status"] == "expired"
        assert asked["citations"][0]["status_date"] == "2025-12-31"
        assert asked["answer"].rstrip().endswith("该文件有效期至2025年12月31日，已失效。[2]")
        filtered = client.post("/api/ask", json={"question": "补贴多少？", "filters": {"status": "draft"},
                                                 "as_of": TODAY}).json()
        assert {c["doc_id"] for c in filtered["citations"]} <= {"low-altitude-draft"}
        bad = client.post("/api/ask", json={"question": "补贴多少？", "filters": {"status": "valid"}})
        assert bad.status_code == 422 and "in_force" in bad.json()["detail"]
        # Streamed, the pieces are the whole answer, its sentence on the expired measure too.
        streamed = client.post("/api/ask/stream", json={"question": "某县会展展会奖励多少钱？", "as_of": TODAY})
        events = [(line.split(":", 1)[0], line) for line in streamed.text.splitlines() if line.startswith("data:")]
        datas = [json.loads(line[5:].strip()) for _, line in events]
        final = datas[-1]
        assert "".join(d["text"] for d in datas[:-1]) == final["answer"]
        assert final["answer"].rstrip().endswith("已失效。[2]") and final["citations"][1]["role"] == "validity"
        chat = client.post("/v1/chat/completions", json={
            "model": "policy-assistant", "messages": [{"role": "user", "content": "某县会展展会奖励多少钱？"}]}).json()
        content = chat["choices"][0]["message"]["content"]
        assert "【已失效（有效期至2025年12月31日）】" in content
        assert chat["citations"][0]["status"] == "expired"


def test_the_language_model_composer_answers_validity_from_the_index_and_gets_the_sentence(assistant):
    from langchain_core.language_models import FakeListChatModel

    from assistant.answering.llm import LLMComposer, load_prompts

    extractive = assistant.composer
    # The model is never asked a validity question: the index answers it, as offline.
    silent = LLMComposer(FakeListChatModel(responses=[]), load_prompts(), extractive)
    answer = assistant.ask("某市科技企业研发补贴办法什么时候到期？", composer=silent, as_of=TODAY)
    assert "有效期至2029年1月31日" in answer.answer and answer.citations[0].status == "in_force"
    # A model's answer quoting an expired measure gets the same sentence and badges.
    retrieved = assistant.retriever.retrieve("某县会展展会奖励多少钱？", k=5, filters=Filters(as_of=TODAY))
    clause = next(r.clause for r in retrieved if r.clause.doc_id == "exhibition-2024" and "20万元" in r.clause.text)
    n = [r.clause.chunk_id for r in retrieved].index(clause.chunk_id) + 1
    model = LLMComposer(FakeListChatModel(responses=[f"展会每场给予主办单位20万元奖励。[{n}]"]), load_prompts(),
                        extractive)
    answer = assistant.ask("某县会展展会奖励多少钱？", composer=model, as_of=TODAY)
    assert "20万元" in answer.answer and "该文件有效期至2025年12月31日，已失效。" in answer.answer
    assert answer.citations[0].status == "expired"


def test_the_term_of_each_of_two_documents(assistant):
    answer = assistant.ask("某市科技企业研发补贴办法和某县促进会展业发展若干措施的有效期各到哪天？", as_of=TODAY)
    assert "有效期至2029年1月31日" in answer.answer and "有效期至2025年12月31日" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"rd-subsidy-2026", "exhibition-2024"}
