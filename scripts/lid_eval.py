"""Language identification accuracy on the held-out sets, per locale.

Usage: python scripts/lid_eval.py tests/nlu/*.yml [--min-accuracy 0.98] [--min-words 3]

Each held-out file is named after its locale; every message in it is in that locale. A
message is identified as a new conversation would see it (no language chosen yet), with the
same bot.languages.detect the actions use (a message that names another language, such as
"answer in English", is still written in its own). Accuracy counts messages of --min-words words or
more (short replies such as "ok" or "hi" are shared by many languages; the conversation's
language decides those). Exits 1 when a locale is below --min-accuracy.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlu_stats import examples_of

from bot import languages
from bot.segment import count_words

NLU_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"


@dataclass
class LidScore:
    """Language identification on one locale's held-out set."""

    locale: str
    messages: int
    accuracy: float
    wrong: list[tuple[str, str]]  # (message, identified as)
    confused_with: Counter[str]


def evaluate_lid(files: list[Path], min_words: int = 3, nlu_dir: Path | None = NLU_DIR) -> list[LidScore]:
    """Score bot.languages.detect on each file's messages of `min_words` words or more."""
    served = [path.stem for path in files]
    scores = []
    for path in files:
        texts = [text for _, text in examples_of(path) if count_words(text) >= min_words]
        chosen = [(languages.detect(text, served, nlu_dir=nlu_dir) or ("none", 0.0))[0] for text in texts]
        wrong = [(text, lang) for text, lang in zip(texts, chosen, strict=True) if lang != path.stem]
        accuracy = 1 - len(wrong) / len(texts) if texts else 0.0
        scores.append(LidScore(path.stem, len(texts), accuracy, wrong, Counter(lang for _, lang in wrong)))
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--min-accuracy", type=float, default=0.98)
    parser.add_argument("--min-words", type=int, default=3)
    parser.add_argument("--show-wrong", action="store_true")
    parser.add_argument("--lingua-only", action="store_true", help="without the classifier learned from data/nlu")
    args = parser.parse_args()
    scores = evaluate_lid(args.files, args.min_words, None if args.lingua_only else NLU_DIR)
    print(f"{'locale':8} {'messages':>8} {'lid_acc':>8}  confused with")
    for s in scores:
        print(f"{s.locale:8} {s.messages:8d} {s.accuracy:8.3f}  {dict(s.confused_with.most_common(4))}")
        if args.show_wrong:
            for text, lang in s.wrong:
                print(f"    {lang:8} {text}")
    failed = [s.locale for s in scores if s.accuracy < args.min_accuracy]
    if failed:
        print(f"FAILED: language identification below {args.min_accuracy} in {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
