"""Evaluation: gold loading, running questions through ``ask``, deterministic scoring, reports.

Every match uses :func:`assistant.language.text.normalize` (NFKC, no whitespace, punctuation or symbols).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from .language.text import normalize
from .service import Assistant
from .settings import Settings
from .types import Answer

BUDGET_CHARS = 1000
MRR_DEPTH = 10


class GoldItem(BaseModel):
    """One gold question with the facts and source spans a correct answer needs."""

    id: str
    question: str
    expected: list[list[str]] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    #: Places or documents of a comparison that the documents say nothing about: the answer's
    #: line for each (“遂昌：…”) must say it is not stated. Each counts as one expected fact.
    silent: list[str] = Field(default_factory=list)
    answerable: bool = True
    tags: list[str] = Field(default_factory=list)
    #: ``dev`` (thresholds are tuned on it) or ``test`` (floors apply to it); empty: unsplit.
    split: str = ""
    #: The split was chosen when the item was written, not by its section (evals/split_gold.py).
    split_pinned: bool = False
    #: The file the question is about, for gold over documents outside the corpus (``--docs``).
    doc: str = ""
    #: The files it is about, when it names several (a place swap names both places' files).
    docs: list[str] = Field(default_factory=list)
    #: For a turn of a conversation: the conversation's id; its earlier turns are asked first
    #: and passed as history, with the answers the assistant gave them.
    conversation: str = ""


def load_gold(path: Path | str) -> list[GoldItem]:
    """Read a gold JSONL file; a malformed line is an error naming the line.

    A line with ``turns`` is a conversation: each turn becomes an item (``<id>.<n>``, tagged
    ``first-turn`` or ``follow-up``) asked after the turns before it.
    """
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if isinstance(raw, dict) and "turns" in raw:
                items += _turns(raw)
            else:
                items.append(GoldItem.model_validate(raw))
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not a valid gold item ({exc})") from exc
    return items


def _turns(conversation: dict) -> list[GoldItem]:
    """The turns of a gold conversation as items, in order."""
    out = []
    for i, turn in enumerate(conversation["turns"], start=1):
        tags = ["first-turn" if i == 1 else "follow-up"]
        tags += [] if turn.get("answerable", True) else ["unanswerable"]
        out.append(GoldItem.model_validate({**turn, "id": f"{conversation['id']}.{i}", "tags": tags,
                                            "conversation": conversation["id"]}))
    return out


# --- per-item scoring -------------------------------------------------------------------------


def _held(span: str, text: str) -> bool:
    return holds(span, normalize(text))


def holds(evidence: str, text: str) -> bool:
    """Whether ``text`` (normalised) holds the gold ``evidence``: as written, or — for a table
    row's cells quoted with spaces between them (天津滨海国际机场有限公司 12000 1.59) — each cell in
    order and close together, as a row that gives each cell with its column's label does
    (用户名称：天津滨海国际机场有限公司｜申报响应能力：12000千瓦时｜补贴总额：1.59万元)."""
    if normalize(evidence) in text:
        return True
    cells = [normalize(c) for c in evidence.split() if normalize(c)]
    if len(cells) < 2:
        return False
    first = at = text.find(cells[0])
    for cell in cells:
        at = text.find(cell, at)
        if at < 0:
            return False
        at += len(cell)
    # The cells of one row: the labels between them at most double the quoted length.
    return at - first <= 3 * sum(map(len, cells))


def _said_silent(name: str, answer: str) -> bool:
    """Whether the answer's line for ``name`` (“遂昌：…”) says the documents do not state it."""
    return any(line.startswith(f"{name}：") and ("未载明" in line or "没有" in line) and "[" not in line
               for line in answer.splitlines())


def budget_texts(texts: list[str], budget: int = BUDGET_CHARS) -> list[str]:
    """Normalised texts in rank order, cut at ``budget`` characters in total (last one truncated)."""
    out, used = [], 0
    for text in texts:
        norm = normalize(text)
        if used >= budget:
            break
        out.append(norm[: budget - used])
        used += len(out[-1])
    return out


def score_item(item: GoldItem, answer: Answer, k: int, ranked: list[str] | None = None) -> dict:
    """All metrics of one answered question (None where a metric does not apply); ``ranked``
    is the retrieval ranking the MRR reads (the answer's own retrieved clauses without it)."""
    texts = [r.clause.text for r in answer.retrieved]
    top_k = texts[:k]
    rec: dict = {"latency_ms": answer.latency_ms, "context_chars": sum(len(t) for t in top_k)}
    if item.answerable:
        rec["false_refusal"] = 0.0 if answer.answered else 1.0
    else:
        rec["refusal"] = 0.0 if answer.answered else 1.0
    if item.answerable and item.evidence:
        spans = item.evidence
        found = [any(_held(s, t) for t in top_k) for s in spans]
        rec["recall@k"] = sum(found) / len(spans)
        rec["hit@k"] = float(any(found))
        rr = 0.0
        for rank, t in enumerate((texts if ranked is None else ranked)[:MRR_DEPTH], start=1):
            if any(_held(s, t) for s in spans):
                rr = 1.0 / rank
                break
        rec["mrr@10"] = rr
        cut = budget_texts(texts)
        rec["recall@budget"] = sum(any(holds(s, c) for c in cut) for s in spans) / len(spans)
        # The clauses cited for the answer; one added for the sentence on a quoted document's
        # term (role ``validity``) supports that sentence, not the answer's facts.
        cited = [c.text for c in answer.citations if c.role == "answer"]
        if cited:
            rec["citation_precision"] = sum(any(_held(s, c) for s in spans) for c in cited) / len(cited)
        rec["citation_recall"] = sum(any(_held(s, c) for c in cited) for s in spans) / len(spans)
    # Answers with a sentence removed because its cited clause does not state it.
    rec["unsupported_claims"] = 1.0 if answer.unsupported_claims else 0.0
    if item.answerable and (item.expected or item.silent):
        # A fact is held as written (the cells-in-order reading is for quoted evidence).
        got = [any(normalize(alt) in normalize(answer.answer) for alt in group) for group in item.expected]
        got += [_said_silent(name, answer.answer) for name in item.silent]
        rec["fact_recall"] = sum(got) / len(got)
        rec["all_facts"] = float(all(got))
    # Right: every asked fact for an answerable question, a refusal for an unanswerable one.
    if "all_facts" in rec:
        rec["right"] = rec["all_facts"]
    elif "refusal" in rec:
        rec["right"] = rec["refusal"]
    return rec


METRICS = ["recall@k", "hit@k", "mrr@10", "recall@budget", "citation_precision",
           "citation_recall", "fact_recall", "all_facts", "refusal", "false_refusal",
           "unsupported_claims", "right"]


def aggregate(records: list[dict]) -> dict:
    """Mean of every metric over the records it applies to, plus latency and context size."""
    out: dict = {"n": len(records)}
    for m in METRICS:
        values = [r["scores"][m] for r in records if r["scores"].get(m) is not None]
        out[m] = round(statistics.fmean(values), 4) if values else None
    lat = sorted(r["latency_ms"] for r in records)
    if lat:
        out["latency_p50_ms"] = round(_pct(lat, 50), 1)
        out["latency_p95_ms"] = round(_pct(lat, 95), 1)
    ctx = [r["scores"]["context_chars"] for r in records]
    out["avg_context_chars"] = round(statistics.fmean(ctx), 1) if ctx else None
    return out


def _pct(sorted_values: list[float], p: float) -> float:
    idx = (len(sorted_values) - 1) * p / 100
    lo, hi = int(idx), min(int(idx) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (idx - lo)


# --- running --------------------------------------------------------------------------------


def run_eval(assistant: Assistant, items: list[GoldItem], k: int = 5,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Ask every gold question through ``Assistant.ask`` and score the answers."""
    assistant.ensure_index()
    if items:
        assistant.ask(items[0].question)  # load the models first: latencies are of warm answers
    records = []
    histories: dict[str, list[dict]] = {}
    for i, item in enumerate(items):
        # A conversation's turn is asked as the API asks it: with the earlier turns and the
        # answers given to them.
        history = histories.setdefault(item.conversation, []) if item.conversation else None
        # Answered with the k a user's question is answered with; the ranking the MRR reads
        # goes deeper, by a retrieval of the question as it was understood.
        answer = assistant.ask(item.question, k=k, history=list(history or []) or None)
        ranked = assistant.ranked(answer.understood or item.question, MRR_DEPTH)
        if history is not None:
            history += [{"role": "user", "content": item.question},
                        {"role": "assistant", "content": answer.answer}]
        scores = score_item(item, answer, k, ranked)
        public = answer.public()
        records.append({
            "id": item.id,
            "question": item.question,
            "tags": item.tags,
            "answer": answer.answer,
            "answered": answer.answered,
            "citations": public["citations"],
            "retrieved": public["retrieved"][:k],
            "latency_ms": round(answer.latency_ms, 2),
            "unsupported_claims": list(answer.unsupported_claims),
            "notice": answer.notice,
            "understood": answer.understood,
            "confidence": answer.confidence,
            "scores": scores,
        })
        if progress:
            progress(i + 1, len(items))
    for item, record in zip(items, records, strict=True):
        record["split"] = item.split
    tags = sorted({t for item in items for t in item.tags})
    per_tag = {t: aggregate([r for r in records if t in r["tags"]]) for t in tags}
    splits = sorted({item.split for item in items if item.split})
    per_split = {s: aggregate([r for r in records if r["split"] == s]) for s in splits}
    return {"metrics": {"overall": aggregate(records), "per_split": per_split, "per_tag": per_tag},
            "records": records}


def floor_metrics(report: dict, split: str = "test") -> tuple[str, dict]:
    """The metrics floors apply to: the ``split`` (test) when the gold is split, else overall."""
    per_split = report["metrics"].get("per_split") or {}
    if split in per_split:
        return split, per_split[split]
    return "overall", report["metrics"]["overall"]


def doc_paths(items: list[GoldItem], folder: Path | str) -> list[Path]:
    """The files of ``folder`` the gold items are about (every file when none names one)."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    named = sorted({d for item in items for d in [item.doc, *item.docs] if d})
    if not named:
        return [folder]
    missing = [n for n in named if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks the documents the gold names: {', '.join(missing)}")
    return [folder / n for n in named]


def config_of(settings: Settings, k: int, embedding_id: str) -> dict:
    """The settings that shape the numbers, recorded in the report."""
    return {
        "k": k,
        "embedding_model": embedding_id,
        "retrieval_mode": settings.retrieval_mode,
        "chunking": settings.chunking,
        "max_clause_chars": settings.max_clause_chars,
        "refusal_threshold": settings.refusal_threshold,
        "composer": (f"llm:{settings.llm_provider}/{settings.llm_model}" if settings.llm_enabled
                     else "extractive"),
        "budget_chars": BUDGET_CHARS,
    }


#: The pipelines ``--compare`` runs side by side: name → settings overrides.
BASELINES: dict[str, dict] = {
    "bm25-only": {"retrieval_mode": "bm25"},
    "dense-only": {"retrieval_mode": "dense"},
    "window-dense": {"chunking": "window", "retrieval_mode": "dense"},
    "window-hybrid": {"chunking": "window", "retrieval_mode": "hybrid"},
    "full": {},
}


# --- reports --------------------------------------------------------------------------------

_TABLE_METRICS = ["recall@k", "recall@budget", "mrr@10", "hit@k", "citation_precision",
                  "citation_recall", "all_facts", "fact_recall", "refusal", "false_refusal",
                  "unsupported_claims", "right", "latency_p50_ms", "latency_p95_ms", "avg_context_chars"]


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) and v <= 1.0 else f"{v}"


def markdown_report(report: dict) -> str:
    """The metric table overall and per tag, as Markdown."""
    overall = report["metrics"]["overall"]
    lines = ["# Evaluation report", "", f"Config: `{json.dumps(report['config'], ensure_ascii=False)}`",
             "", "## Overall", "", "| metric | value |", "|---|---|"]
    lines += [f"| {m} | {_fmt(overall.get(m))} |" for m in _TABLE_METRICS]
    per_split = report["metrics"].get("per_split") or {}
    if per_split:
        names = list(per_split)
        lines += ["", "## Per split (thresholds tuned on dev; floors apply to test)", "",
                  "| metric | " + " | ".join(f"{n} (n={per_split[n]['n']})" for n in names) + " |",
                  "|---" * (len(names) + 1) + "|"]
        lines += [f"| {m} | " + " | ".join(_fmt(per_split[n].get(m)) for n in names) + " |"
                  for m in _TABLE_METRICS]
    per_tag = report["metrics"]["per_tag"]
    cols = ["n", "recall@k", "recall@budget", "mrr@10", "citation_precision", "citation_recall",
            "all_facts", "refusal", "false_refusal", "right", "latency_p50_ms"]
    lines += ["", "## Per tag", "", "| tag | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for tag, m in per_tag.items():
        lines.append(f"| {tag} | " + " | ".join(_fmt(m.get(c)) for c in cols) + " |")
    if "compare" in report:
        lines += ["", "## Baselines (same questions, same embedding model)", "", compare_table(report["compare"])]
    return "\n".join(lines) + "\n"


def compare_table(compare: dict[str, dict]) -> str:
    """One Markdown table with a column per pipeline."""
    names = list(compare)
    rows = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for m in _TABLE_METRICS:
        rows.append(f"| {m} | " + " | ".join(_fmt(compare[n].get(m)) for n in names) + " |")
    return "\n".join(rows)


def plot_report(report: dict, path: Path) -> None:
    """A PNG with the metrics per tag and the latency distribution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_tag = report["metrics"]["per_tag"]
    shown = ["recall@k", "recall@budget", "mrr@10", "citation_precision", "all_facts"]
    tags = list(per_tag)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(16, 5), gridspec_kw={"width_ratios": [3, 1]})
    width = 0.8 / len(shown)
    for j, m in enumerate(shown):
        values = [per_tag[t].get(m) or 0 for t in tags]
        ax1.bar([i + j * width for i in range(len(tags))], values, width, label=m)
    refusal = [per_tag[t].get("refusal") for t in tags]
    if any(v is not None for v in refusal):
        ax1.plot([i + 0.4 for i in range(len(tags))], [v if v is not None else float("nan") for v in refusal],
                 "k^", label="refusal")
    ax1.set_xticks([i + 0.4 for i in range(len(tags))], tags, rotation=40, ha="right")
    ax1.set_ylim(0, 1.05)
    ax1.set_title("Metrics per tag")
    ax1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax2.hist([r["latency_ms"] for r in report["records"]], bins=30, color="tab:gray")
    ax2.set_title("Latency per question (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: dict, out_dir: Path) -> None:
    """report.json, report.md and report.png in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown_report(report), encoding="utf-8")
    plot_report(report, out_dir / "report.png")


def check_floors(overall: dict, floors: dict[str, float]) -> list[str]:
    """Metrics below their floor (``*_ms`` and ``false_refusal`` are ceilings)."""
    failures = []
    for metric, bound in floors.items():
        value = overall.get(metric)
        if value is None:
            failures.append(f"{metric}: not measured")
        elif metric.endswith("_ms") or metric == "false_refusal":
            if value > bound:
                failures.append(f"{metric} = {value} is above its ceiling {bound}")
        elif value < bound:
            failures.append(f"{metric} = {value} is below its floor {bound}")
    return failures
