"""Tune the composer's thresholds on the dev split only, and print the grid.

    python evals/tune.py [evals/gold.jsonl]

For each setting of the refusal threshold and the key-term shares of a sentence that states
the asked value, every dev question is answered and scored (refusal of unanswerable
questions, false refusals, all facts, citation precision). Test items are never read.
"""

from __future__ import annotations

import itertools
import statistics
import sys
from pathlib import Path

from assistant.evaluation import MRR_DEPTH, load_gold, score_item
from assistant.service import Assistant
from assistant.settings import Settings

GRID = {
    "threshold": [0.2, 0.25, 0.3],
    "key_sentence_share": [0.3, 0.4, 0.5, 0.6],
    "key_sentence_near": [0.0, 0.15, 0.25],
}


def main() -> None:
    gold = Path(sys.argv[1] if len(sys.argv) > 1 else "evals/gold.jsonl")
    items = [i for i in load_gold(gold) if i.split == "dev"]
    assistant = Assistant(Settings())
    assistant.ensure_index()
    composer = assistant.composer
    retrieved = {i.id: assistant.retriever.retrieve(i.question, k=MRR_DEPTH) for i in items}
    rows = []
    for values in itertools.product(*GRID.values()):
        for name, value in zip(GRID, values, strict=True):
            setattr(composer, name, value)
        scores = [score_item(i, composer.compose(i.question, retrieved[i.id]), 5) for i in items]

        def mean(metric, scores=scores):
            got = [s[metric] for s in scores if s.get(metric) is not None]
            return statistics.fmean(got) if got else float("nan")

        rows.append((*values, mean("refusal"), mean("false_refusal"), mean("all_facts"),
                     mean("citation_precision")))
    print(" | ".join([*GRID, "refusal", "false_refusal", "all_facts", "citation_precision"]))
    for row in sorted(rows, key=lambda r: -(r[-4] - 2 * r[-3] + r[-2])):
        print(" | ".join(f"{v:.3f}" for v in row))


if __name__ == "__main__":
    main()
