"""Fit the answer scorer on development questions written by others, and choose its refusals.

    python evals/fit_scorer.py [--out assistant/answering/scorer.json]

For every development question (``../shared/dev-world`` questions and conversations, and the
dev split of ``evals/gold.jsonl``) the question is read as the assistant reads it (follow-ups
made standalone from the earlier turns), retrieved, scoped and cut into candidates; each
(slot, candidate) gets its feature vector and a label: positive when the candidate states an
expected fact of the slot's type and its clause holds the gold evidence. A logistic regression
(scikit-learn) is fitted on the standardised features; then, for each operation, the refusal
threshold is the probability that maximises the share of questions handled right on these
questions (an answerable one answered by a positive candidate, an unanswerable one refused).
The test split of the gold, the field gold and the held-out set are never read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from assistant.answering.composer import ExtractiveComposer
from assistant.answering.features import NAMES
from assistant.answering.frame import COMPARE, WHICH_DOCS
from assistant.answering.scorer import WEIGHTS_FILE, Scorer
from assistant.evaluation import GoldItem, doc_paths, load_gold
from assistant.language.text import normalize
from assistant.service import Assistant
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WORLD = ROOT.parent / "shared" / "dev-world"
#: (gold file, the folder its documents are in or None for the bundled corpus, index folder).
SETS = [
    (WORLD / "questions.jsonl", WORLD / "docs", ".assistant/fit/world"),
    (WORLD / "conversations.jsonl", WORLD / "docs", ".assistant/fit/world"),
    (ROOT / "evals" / "gold.jsonl", None, ".assistant/fit/corpus"),
]
#: Regularisation of the logistic regression (inverse strength), chosen by 5-fold
#: cross-validation over questions among these values.
C_GRID = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def label(item: GoldItem, slot, cand) -> int:
    """1 when the candidate states an expected fact for the slot and its clause holds the
    gold evidence (a fact also stated in an unrelated clause does not count)."""
    if not item.answerable or not item.expected:
        return 0
    text = normalize(cand.text)
    clause = normalize(cand.clause.text)
    if item.evidence and not any(normalize(e) in clause for e in item.evidence):
        return 0
    from assistant.answering import questions as q

    groups = item.expected
    if slot.kind in q.VALUE_TYPES and slot.kind != q.WHO:
        typed = [g for g in groups if any(q.states_type(a, slot.kind) for a in g)]
        groups = typed or groups
    held = [any(normalize(a) in text for a in g) for g in groups]
    if slot.kind in ("list", "condition"):
        return int(sum(held) >= max(1, len(held) / 2))
    return int(any(held))


def rows_of(assistant: Assistant, composer: ExtractiveComposer, items: list[GoldItem]):
    """(question id, operation, answerable, [(slot index, label, features)]) per question."""
    out = []
    history: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        turns = history[item.conversation] if item.conversation else []
        _, _, standalone, _ = assistant._understood(item.question, None, turns or None)
        conversation = assistant.conversation(item.question, turns or None)
        if item.conversation:
            # The earlier turn answered as the gold says: its evidence is what it quoted.
            turns += [{"role": "user", "content": item.question},
                      {"role": "assistant", "content": "。".join(item.evidence)}]
        retrieved = assistant.retriever.retrieve(standalone, k=10)
        frame = composer.frame(standalone, conversation=conversation)
        if frame.operation in (WHICH_DOCS, COMPARE):
            continue
        scope = composer.scoper.scope(frame.analysis, retrieved)
        if scope.missing:
            continue
        rows = []
        for i, (slot, scored) in enumerate(composer.scored(frame, scope.retrieved, retrieved)):
            rows += [(i, label(item, slot, cand), x) for _, cand, x in scored]
        out.append((item.id, frame.operation, item.answerable and bool(item.expected), rows))
    return out


def collect(scorer: Scorer) -> list:
    """The rows of every development question (see :func:`rows_of`)."""
    data = []
    for gold, docs, index in SETS:
        items = [i for i in load_gold(gold) if i.split != "test"]
        settings = Settings(index_dir=ROOT / index, corpus_dir=docs or ROOT / "corpus", llm_provider="none")
        assistant = Assistant(settings)
        assistant.ingest(doc_paths(items, docs) if docs else None)
        composer = ExtractiveComposer(assistant.retriever, scorer=scorer)
        assistant._composer = composer
        got = rows_of(assistant, composer, items)
        print(f"{gold.name}: {len(got)} questions", file=sys.stderr)
        data += got
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args()
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    n = len(NAMES)
    blank = Scorer([0.0] * n, [0.0] * n, [1.0] * n)
    data = collect(blank)
    X = np.array([x for _, _, _, rows in data for _, _, x in rows])
    y = np.array([lab for _, _, _, rows in data for _, lab, _ in rows])
    groups = np.array([k for k, (_, _, _, rows) in enumerate(data) for _ in rows])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    best_c, best_ll = C_GRID[0], float("inf")
    folds = groups % 5
    for c in C_GRID:
        losses = []
        for f in range(5):
            model = LogisticRegression(C=c, max_iter=2000).fit(Z[folds != f], y[folds != f])
            p = np.clip(model.predict_proba(Z[folds == f])[:, 1], 1e-6, 1 - 1e-6)
            yf = y[folds == f]
            losses.append(float(-np.mean(yf * np.log(p) + (1 - yf) * np.log(1 - p))))
        if statistics.fmean(losses) < best_ll:
            best_c, best_ll = c, statistics.fmean(losses)
    model = LogisticRegression(C=best_c, max_iter=2000).fit(Z, y)
    weights = [float(model.intercept_[0])] + [float(w) for w in model.coef_[0][1:]]
    # The bias feature is constant (standardised to 0): the intercept takes its weight.
    scorer = Scorer(weights, [0.0] + list(map(float, mean[1:])), [1.0] + list(map(float, scale[1:])))
    thresholds, report = choose_thresholds(scorer, data)
    report["ranking"] = ranking_report(scorer, data)
    scorer.thresholds = thresholds
    scorer.fitted = {"questions": len(data), "candidates": int(len(y)), "positives": int(y.sum()),
                     "C": best_c, "cv_log_loss": round(best_ll, 4), "thresholds": report}
    scorer.save(args.out)
    print(json.dumps(scorer.fitted, ensure_ascii=False, indent=1))
    for name, w in sorted(zip(NAMES, weights, strict=True), key=lambda t: -abs(t[1])):
        print(f"{name:20s} {w:+.3f}")


def ranking_report(scorer: Scorer, data) -> dict:
    """How well the scorer ranks and separates: of the answerable questions with a positive
    candidate, the share whose best candidate is positive; and the area under the ROC curve
    of the best probability, answerable (with a positive) against unanswerable."""
    tops, pos_p, neg_p, reachable = [], [], [], 0
    for _, _, answerable, rows in data:
        scored = sorted(((scorer.probability(x), lab) for _, lab, x in rows), reverse=True)
        if not scored:
            continue
        if answerable and any(lab for _, lab in scored):
            reachable += 1
            tops.append(scored[0][1])
            pos_p.append(scored[0][0])
        elif not answerable:
            neg_p.append(scored[0][0])
    pairs = [(a > b) + 0.5 * (a == b) for a in pos_p for b in neg_p]
    return {"answerable_with_positive": reachable, "top1_positive": round(sum(tops) / max(1, len(tops)), 3),
            "answerability_auc": round(sum(pairs) / max(1, len(pairs)), 3)}


def slot_threshold(scorer: Scorer, data) -> dict:
    """The probability at which a question's further slots (beyond its best one) are answered:
    the one that gets most of them right (answered by a positive candidate, or left open when
    their best candidate is not one), on the answerable questions that ask several things."""
    further = []
    for _, _, answerable, rows in data:
        by_slot: dict[int, tuple[float, int]] = {}
        for i, lab, x in rows:
            p = scorer.probability(x)
            if i not in by_slot or p > by_slot[i][0]:
                by_slot[i] = (p, lab)
        if answerable and len(by_slot) >= 2:
            further += sorted(by_slot.values(), reverse=True)[1:]
    grid = [i / 100 for i in range(1, 96)]

    def right(t: float) -> float:
        return sum((p >= t and lab) or (p < t and not lab) for p, lab in further) / max(1, len(further))

    t = max(grid, key=lambda t: (right(t), -t))
    scorer.slot_threshold = t
    return {"n": len(further), "threshold": t, "right": round(right(t), 3)}


def choose_thresholds(scorer: Scorer, data) -> tuple[dict[str, float], dict]:
    """Per operation (and overall as ``default``), the refusal threshold that handles most
    questions right; ties go to the lower threshold (an answer over a refusal)."""
    best_by_q = []
    for _, op, answerable, rows in data:
        probs = [(scorer.probability(x), lab) for _, lab, x in rows]
        top = max(probs, default=(0.0, 0))
        best_by_q.append((op, answerable, top[0], top[1]))
    thresholds, report = {}, {}
    report["slot"] = slot_threshold(scorer, data)
    for op in sorted({b[0] for b in best_by_q}) + ["default"]:
        qs = [b for b in best_by_q if op == "default" or b[0] == op]
        grid = [i / 100 for i in range(5, 96)]

        def right(t: float, qs=qs) -> float:
            ok = [(ans and p >= t and lab) or (not ans and p < t) for _, ans, p, lab in qs]
            return sum(ok) / len(ok)

        t = max(grid, key=lambda t: (right(t), -t))
        thresholds[op] = t
        answerable = [b for b in qs if b[1]]
        unanswerable = [b for b in qs if not b[1]]
        report[op] = {"n": len(qs), "threshold": t, "right": round(right(t), 3),
                      "answerable_answered": round(sum(p >= t for _, _, p, _ in answerable) / max(1, len(answerable)), 3),
                      "unanswerable_refused": round(sum(p < t for _, _, p, _ in unanswerable) / max(1, len(unanswerable)), 3)}
    return thresholds, report


if __name__ == "__main__":
    main()
