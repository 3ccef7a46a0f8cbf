"""Support measures: read from clauses, stored with the index view, listed by the service, the
API (JSON, CSV, XLSX) and the CLI, matched against a company profile, and answered as a list."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from validity_docs import DOCS, TODAY, write_docs

from assistant.answering import eligibility, measure_answers
from assistant.answering.eligibility import CompanyProfile
from assistant.answering.measure_table import MeasureFilters
from assistant.reading.measures import clause_measures, paying_units
from assistant.types import Clause

ROOT = Path(__file__).resolve().parent.parent
#: ``../shared/dev-world`` beside the checkout (one level further up from a worktree).
DEV_WORLD = next((p / "shared" / "dev-world" for p in (ROOT.parent, ROOT.parent.parent)
                  if (p / "shared" / "dev-world").is_dir()), ROOT.parent / "shared" / "dev-world")


def _clause(text: str, units: list[str] | None = None) -> Clause:
    return Clause(chunk_id="c1", doc_id="d", doc_title="《测试文件》", section_path=["一、支持措施"],
                  label="《测试文件》一、支持措施", text=text, responsible_units=units or [],
                  lead_units=(units or [])[:1])


def _figures(m) -> tuple[list[float], list[float]]:
    return sorted(a.yuan for a in m.amounts), sorted(r.value for r in m.rates)


@pytest.mark.parametrize("text, expected", [
    # Tiers by threshold: the threshold is a condition, the grant an amount; one measure each.
    ("基础研究投入达到或超过1亿元/年的企业，给予一次性财政补助1000万元；5000万元（含）至1亿元（不含）/年的企业，"
     "给予一次性财政补助500万元。", [([1e7], [], "基础研究投入达到或超过1亿元/年的企业"),
                            ([5e6], [], "5000万元（含）至1亿元（不含）/年的企业")]),
    # A rate with its basis and a yearly ceiling per company in one measure.
    ("对使用科学仪器设施产生的费用，按照企业实际支付额的50%给予补助，每家企业每年最高补助100万元。",
     [([1e6], [0.5], None)]),
    # Two grants to two beneficiaries in one sentence: two measures.
    ("对新认定的国家级平台给予300万元奖励，对新认定的省级平台给予100万元奖励。",
     [([3e6], [], "新认定的国家级平台"), ([1e6], [], "新认定的省级平台")]),
    # Money paid out in instalments of one subsidy stays one measure.
    ("补贴金额900万元，2024年已拨付296.67万元，本次拨付剩余603.33万元。", [([2966700, 6033300, 9e6], [], None)]),
    # A fine and a target are not measures.
    ("对违规企业处以10万元罚款。", []),
    ("到2027年，数字经济核心产业增加值达到1000亿元。", []),
])
def test_measures_of_a_sentence(text, expected):
    found = clause_measures(_clause(text))
    assert [(*_figures(m), m.beneficiary) for m in found] == [
        (sorted(a), sorted(r), b) for a, r, b in expected]
    for m in found:
        assert _clause(text).text[m.span.start:m.span.end] == m.span.text


def test_a_ceiling_sentence_closes_the_measures_before_it():
    text = ("对销量达一定规模的新车型给予一次性产品研发激励，其中：年销量3000（含）—5000辆（不含）的车型，给予500万元激励；"
            "年销量5000辆以上的车型，给予1000万元激励。单个企业年度激励金额最高不超过2000万元，同一平台车型不重复给予激励。"
            "（责任单位：市经济信息委、市财政局）")
    found = clause_measures(_clause(text, ["市经济信息委", "市财政局"]))
    assert len(found) == 2
    for m, tier in zip(found, ("年销量3000（含）—5000辆（不含）", "年销量5000辆以上"), strict=True):
        assert m.beneficiary == "销量达一定规模的新车型"
        assert tier in m.conditions and "同一平台车型不重复给予激励" in m.conditions
        cap = [a for a in m.amounts if a.cap]
        assert cap and cap[0].yuan == 2e7 and cap[0].basis == "单个企业年度"
        assert m.units == ["市经济信息委", "市财政局"] and m.units_from == "note"


def test_units_a_granting_sentence_names_outrank_the_note_and_the_issuers():
    text = "对纳入机制的电量，由电网企业按照机制电价开展差价结算，给予每千瓦时0.4元补贴。（责任单位：省发展改革委）"
    (m,) = clause_measures(_clause(text, ["省发展改革委"]), ["四川省能源局"])
    assert m.units == ["电网企业"] and m.units_from == "sentence"
    text = "对困难老年人给予每月200元补贴，由市、区民政部门按照规定发放。"
    (m,) = clause_measures(_clause(text), ["市民政局"])
    assert m.units == ["市、区民政部门"] and m.units_from == "sentence"
    # 由企业负责: who applies, not who carries the measure out.
    (m,) = clause_measures(_clause("对新建项目给予50万元奖励，申报材料由企业负责提交。"), ["市科技局"])
    assert m.units == ["市科技局"] and m.units_from == "issuer"


def test_a_sum_is_carried_by_the_units_a_document_names_as_paying_it_out():
    grant = _clause("烘干机单机补贴限额不超过12万元；补贴额测算比例不超过30%。")
    paying = _clause("（八）兑付补贴资金。市县（区）农业农村部门在公示完成后5个工作日内，向财政部门提交资金兑付申请，"
                     "财政部门于15个工作日内向符合要求的购机者兑付资金。").model_copy(update={"chunk_id": "c2"})
    issuers = ["省农业农村厅", "省财政厅"]
    assert paying_units([grant, paying]) == ["市县（区）农业农村部门", "财政部门"]
    cap, rate = clause_measures(grant, issuers, paying_units([grant, paying]))
    assert cap.units == ["市县（区）农业农村部门", "财政部门"] and cap.units_from == "payer"
    # A rate is a parameter of the standard its issuers set; a note still outranks the payers.
    assert rate.units == issuers and rate.units_from == "issuer"
    (noted,) = clause_measures(_clause("对新建项目给予50万元奖励。", ["市科技局"]), issuers, ["财政部门"])
    assert noted.units == ["市科技局"]
    # Money a report counts as already paid (累计发放) names no payer; neither does a generic subject.
    assert paying_units([_clause("全年累计发放补贴资金3亿元。"), _clause("由企业向职工发放补贴。")]) == []


def test_a_field_the_text_does_not_give_is_empty():
    (m,) = clause_measures(_clause("对认定为省级以上的创新中心和中试平台给予资金支持。"))
    assert m.kind == "资金支持" and m.beneficiary == "认定为省级以上的创新中心和中试平台"
    assert m.amounts == [] and m.rates == [] and m.units == [] and m.period is None


@pytest.mark.skipif(not (DEV_WORLD / "measures.jsonl").exists(), reason="../shared/dev-world is not there")
def test_dev_world_figures_hold():
    import sys

    sys.path.insert(0, str(ROOT / "evals"))
    from measures_eval import evaluate

    items = [json.loads(x) for x in (DEV_WORLD / "measures.jsonl").read_text(encoding="utf-8").splitlines() if x]
    f = evaluate(items, DEV_WORLD / "docs")["figures"]["all"]
    assert f["recall"] >= 0.9 and f["amounts_right"] >= 0.95 and f["beneficiary_right"] >= 0.85


# --- through the service, the API and the CLI, on real files ---------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from assistant.service import Assistant
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("measures")
    folder = write_docs(root / "docs")
    a = Assistant(Settings(embedding_model="hash", index_dir=root / "index", corpus_dir=folder))
    a.ingest([folder])
    return a


def test_the_table_keeps_measures_of_documents_not_in_force_apart(assistant):
    found = assistant.measures(as_of=TODAY)
    current = {m["doc_id"]: m for m in found["measures"]}
    apart = {m["doc_id"]: m["document_status"] for m in found["not_current"]}
    assert set(current) == {"rd-subsidy-2026", "hydrogen-2027"}
    assert current["hydrogen-2027"]["document_status"] == "not_yet"
    assert apart == {"rd-subsidy-2022": "superseded", "exhibition-2024": "expired", "low-altitude-draft": "draft"}
    m = current["rd-subsidy-2026"]
    assert [a["text"] for a in m["amounts"]] == ["最高100万元"] and m["amounts"][0]["cap"]
    assert m["rates"] == [{"text": "8%", "value": 0.08, "basis": "研发投入"}]
    assert m["title"] == "某市科技企业研发补贴办法" and m["span"]["text"] in DOCS["rd-subsidy-2026"].replace("第二条 ", "第二条")
    # On a date when the 2022 version applied, it is the current one.
    earlier = {m["doc_id"] for m in assistant.measures(as_of="2023-06-01")["measures"]}
    assert "rd-subsidy-2022" in earlier and "exhibition-2024" in earlier


def test_filters(assistant):
    def ids(**kw):
        return sorted(m["doc_id"] for m in assistant.measures(MeasureFilters(**kw), TODAY)["measures"])

    assert ids(kind="建设补贴") == ["hydrogen-2027"]
    assert ids(min_yuan=2_000_000) == ["hydrogen-2027"]
    assert ids(max_yuan=2_000_000) == ["rd-subsidy-2026"]
    assert ids(q="加氢站") == ["hydrogen-2027"]
    assert ids(doc_ids=["rd-subsidy-2026"]) == ["rd-subsidy-2026"]
    from assistant.service import QuestionError

    with pytest.raises(QuestionError):
        assistant.measures(MeasureFilters(doc_ids=["nope"]), TODAY)


def test_api_json_csv_xlsx_and_match(assistant):
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook

    from assistant.api import create_app

    with TestClient(create_app(assistant)) as client:
        body = client.get("/api/measures", params={"as_of": TODAY, "kind": "补贴"}).json()
        assert [m["doc_id"] for m in body["measures"]] == ["hydrogen-2027", "rd-subsidy-2026"]
        res = client.get("/api/measures", params={"as_of": TODAY, "format": "csv"})
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["文件", "地区", "文件状态"] and len(rows) == 1 + 5
        assert any("文件未载明" in r for r in rows[1:])
        res = client.get("/api/measures", params={"as_of": TODAY, "format": "xlsx"})
        book = load_workbook(io.BytesIO(res.content))
        assert book.sheetnames == ["扶持措施", "已失效或未生效"] and book["扶持措施"].max_row == 3
        assert client.get("/api/measures", params={"format": "pdf"}).status_code == 422
        assert client.get("/api/measures", params={"as_of": "2026-13-01"}).status_code == 422
        profile = {"place": "某市", "rd_spend_yuan": 8_000_000}
        res = client.post("/api/measures/match", json={"profile": profile, "as_of": TODAY})
        groups = {g["key"]: [m["doc_id"] for m in g["measures"]] for g in res.json()["groups"]}
        assert "rd-subsidy-2026" in groups["likely"]
        assert client.post("/api/measures/match", json={"profile": {"rd_ratio": "high"}}).status_code == 422


def test_cli_lists_exports_and_matches_real_files(assistant, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from assistant import cli

    monkeypatch.setattr(cli, "_assistant", lambda **_: assistant)
    runner = CliRunner()
    out = runner.invoke(cli.app, ["measures", "--json", "--as-of", TODAY, "--min-yuan", "1000000"])
    assert out.exit_code == 0, out.output
    assert [m["doc_id"] for m in json.loads(out.stdout)["measures"]] == ["hydrogen-2027", "rd-subsidy-2026"]
    out = runner.invoke(cli.app, ["measures", "--csv", str(tmp_path / "m.csv"), "--xlsx", str(tmp_path / "m.xlsx")])
    assert out.exit_code == 0 and (tmp_path / "m.csv").read_text(encoding="utf-8").count("\n") >= 6
    assert (tmp_path / "m.xlsx").read_bytes()[:2] == b"PK"
    (tmp_path / "p.json").write_text(json.dumps({"place": "某市", "rd_spend_yuan": 1_000_000}), encoding="utf-8")
    out = runner.invoke(cli.app, ["measures", "--profile", str(tmp_path / "p.json"), "--json", "--as-of", TODAY])
    groups = {g["key"]: [m["doc_id"] for m in g["measures"]] for g in json.loads(out.stdout)["groups"]}
    assert "rd-subsidy-2026" in groups["not_applicable"]  # 1,000,000 is below the 500万元 threshold
    (tmp_path / "bad.json").write_text('{"founded": 3', encoding="utf-8")
    out = runner.invoke(cli.app, ["measures", "--profile", str(tmp_path / "bad.json")])
    assert out.exit_code == 2 and "Invalid JSON" in out.output


def test_questions_about_measures_are_answered_as_a_cited_list(assistant):
    answer = assistant.ask("某市对科技企业有哪些资金支持？", as_of=TODAY)
    assert answer.answered and "最高100万元" in answer.answer
    first = answer.citations[0]
    assert first.doc_id == "rd-subsidy-2026" and first.quotes and first.quotes[0].text in first.text
    assert not measure_answers.asks_measures("某市科技企业研发补贴最高多少？")
    refused = assistant.ask("某市对量子计算企业有哪些资金支持？", as_of=TODAY)
    assert not refused.answered and "量子计算" in refused.answer


# --- the eligibility check ---------------------------------------------------------------------


def _measure(conditions, beneficiary="企业", place="某市", level="city") -> dict:
    return {"id": "m", "doc_id": "d", "title": "t", "place": place, "level": level, "chunk_id": "c",
            "section_path": [], "label": "l", "kind": "奖励", "beneficiary": beneficiary,
            "conditions": conditions, "amounts": [], "rates": [], "span": {"start": 0, "end": 1, "text": "x"}}


@pytest.mark.parametrize("conditions, beneficiary, profile, group", [
    (["年营业收入超过1亿元"], "企业", {"revenue_yuan": 2e8}, "likely"),
    (["年营业收入超过1亿元"], "企业", {"revenue_yuan": 5e7}, "not_applicable"),
    (["年营业收入超过1亿元"], "企业", {}, "check"),  # the profile does not say: never "not matched"
    ([], "高新技术企业", {"certifications": ["高新技术企业"]}, "likely"),
    ([], "高新技术企业", {"certifications": []}, "not_applicable"),
    (["首次认定为高新技术企业"], "企业", {"certifications": ["高新技术企业"]}, "check"),
    (["成立不满5年"], "企业", {"founded": "2024-01-01"}, "likely"),
    (["成立不满5年"], "企业", {"founded": "2015-01-01"}, "not_applicable"),
    (["研发投入占营业收入比例不低于5%"], "企业", {"rd_ratio": 0.06}, "likely"),
    (["在本县举办展览"], "企业", {}, "check"),
    ([], "融资租赁机构", {}, "check"),
])
def test_conditions_decide_the_group(conditions, beneficiary, profile, group):
    result = eligibility.match([_measure(conditions, beneficiary)], CompanyProfile(**profile), TODAY,
                               lambda doc, place: False)
    found = {g["key"]: g["count"] for g in result["groups"]}
    assert found[group] == 1
    checks = next(g for g in result["groups"] if g["count"])["measures"][0]["checks"]
    assert all(c["cite"]["chunk_id"] == "c" for c in checks)


def test_place_is_read_with_the_administrative_divisions():
    def group(place, doc_place, level="province"):
        r = eligibility.match([_measure([], place=doc_place, level=level)], CompanyProfile(place=place), TODAY,
                              lambda doc, p: False)
        return next(g["key"] for g in r["groups"] if g["count"])

    assert group("成都", "四川省") == "likely"
    assert group("成都", "上海市", "city") == "not_applicable"
    assert group("成都", "", "national") == "likely"
    assert group("某地", "某省") == "check"
