"""Evaluate a trained model's intent classification on held-out sets, one per locale.

Usage: python scripts/nlu_eval.py MODEL tests/nlu/*.yml [--min-f1 0.92] [--min-f1-for en=0.95 ...]

A message the FallbackClassifier turns into `nlu_fallback` counts as wrong: the resident
would be asked to rephrase. Prints accuracy and macro F1 per locale; exits 1 when a locale's
macro F1 falls below its threshold (--min-f1, or --min-f1-for that locale).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass
class Score:
    """Intent scores of one model on one locale's held-out set."""

    locale: str
    examples: int
    accuracy: float
    macro_f1: float
    fallbacks: int
    confusions: list[tuple[str, str, int]]


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


async def _predict(model: str, texts: list[str]) -> list[str]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's structured debug log would print every text

    agent = Agent.load(model)
    return [(await agent.parse_message(text))["intent"]["name"] for text in texts]


def score(locale: str, truth: list[str], predicted: list[str]) -> Score:
    """Accuracy and macro F1 (over the intents in the held-out set)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(truth))
    confusions = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    return Score(
        locale=locale,
        examples=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)),
        fallbacks=sum(p == "nlu_fallback" for p in predicted),
        confusions=[(t, p, n) for (t, p), n in confusions.most_common(8)],
    )


def evaluate(model: str, test_files: list[Path]) -> list[Score]:
    """Score `model` on each held-out file; the file's stem names the locale."""
    sets = {path.stem: load_examples(path) for path in test_files}
    texts = [text for examples in sets.values() for text, _ in examples]
    predicted = iter(asyncio.run(_predict(model, texts)))
    return [score(locale, [i for _, i in ex], [next(predicted) for _ in ex]) for locale, ex in sets.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("test_files", nargs="+", type=Path)
    parser.add_argument("--min-f1", type=float, default=0.92, help="macro F1 every locale must reach")
    parser.add_argument("--min-f1-for", action="append", default=[], metavar="LOCALE=F1", help="a stricter bar for one locale")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    scores = evaluate(args.model, args.test_files)
    print(f"{'locale':8} {'examples':>8} {'accuracy':>9} {'macro_f1':>9} {'fallback':>9}")
    bars = {locale: float(f1) for locale, _, f1 in (item.partition("=") for item in args.min_f1_for)}
    failed = []
    for s in scores:
        bar = bars.get(s.locale, args.min_f1)
        print(f"{s.locale:8} {s.examples:8d} {s.accuracy:9.3f} {s.macro_f1:9.3f} {s.fallbacks:9d}   (needs F1 {bar})")
        if s.macro_f1 < bar:
            failed.append(s.locale)
    for s in scores:
        for truth, predicted, count in s.confusions:
            print(f"  {s.locale}: {truth} -> {predicted} x{count}")
    if failed:
        print(f"FAILED: macro F1 below its threshold in {', '.join(failed)}", file=sys.stderr)
        return 1
    print("Every locale reaches its macro F1 threshold.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
