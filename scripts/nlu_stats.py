"""Check NLU example files of one or more locales: format, every intent, counts, duplicates.

Usage: python scripts/nlu_stats.py data/nlu/ko [tests/nlu/ko.yml ...] [--min-per-intent N]

A folder is a locale's training data (every *.yml in it); a file is a held-out set. Prints
examples per intent and exits 1 on a problem: a file that is not Rasa NLU YAML, an intent
the domain does not have, an intent with fewer than N examples, or one text under two
intents. Needs only pyyaml, so it runs in a second.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def domain_intents() -> list[str]:
    """The intents of domain.yml, in order."""
    return list(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])


def examples_of(path: Path) -> list[tuple[str, str]]:
    """(intent, text) pairs of one Rasa NLU YAML file; raises ValueError when malformed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or str(data.get("version")) != "3.1" or not isinstance(data.get("nlu"), list):
        raise ValueError(f'{path}: expected `version: "3.1"` and an `nlu:` list')
    pairs = []
    for block in data["nlu"]:
        if not isinstance(block, dict) or "intent" not in block or not isinstance(block.get("examples"), str):
            raise ValueError(f"{path}: every nlu item needs `intent:` and an `examples: |` block")
        for line in block["examples"].splitlines():
            if not line.strip():
                continue
            if not line.startswith("- "):
                raise ValueError(f"{path}: {block['intent']}: example line must start with '- ': {line!r}")
            pairs.append((block["intent"], line[2:].strip()))
    return pairs


def check(target: Path, intents: list[str], minimum: int) -> list[str]:
    """Problems of one locale folder or held-out file (empty when fine); prints the counts."""
    files = sorted(target.glob("*.yml")) if target.is_dir() else [target]
    if not files:
        return [f"{target}: no .yml files"]
    problems: list[str] = []
    pairs: list[tuple[str, str]] = []
    for path in files:
        try:
            pairs.extend(examples_of(path))
        except (ValueError, yaml.YAMLError) as exc:
            problems.append(str(exc))
    counts = Counter(intent for intent, _ in pairs)
    by_text: dict[str, set[str]] = defaultdict(set)
    for intent, text in pairs:
        by_text[text.casefold()].add(intent)
    print(f"{target}: {len(pairs)} examples")
    for intent in intents:
        print(f"  {intent:28} {counts.get(intent, 0)}")
        if counts.get(intent, 0) < minimum:
            problems.append(f"{target}: {intent} has {counts.get(intent, 0)} examples, fewer than {minimum}")
    problems += [f"{target}: unknown intent {name!r}" for name in counts if name not in intents]
    problems += [f"{target}: {text!r} is under {sorted(names)}" for text, names in by_text.items() if len(names) > 1]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", type=Path)
    parser.add_argument("--min-per-intent", type=int, default=1)
    args = parser.parse_args()
    intents = domain_intents()
    problems = [p for target in args.targets for p in check(target, intents, args.min_per_intent)]
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
