"""NLU benchmark: our pipeline side by side with Rasa's default, on the same data.

Trains an NLU-only model from data/nlu with each config (ours: config.yml; default: the
config.yml that `rasa init` writes, whose empty pipeline makes Rasa choose its default
pipeline), times the training, and scores both on the held-out sets in tests/nlu/ (accuracy
and macro F1 per locale). Then language identification per locale, on held-out messages of
three words or more: lingua and the script alone, and ours (with the classifier learned
from the training data).

Usage: python scripts/bench_nlu.py [--config NAME=PATH ...] [--skip-default]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nlu_eval import evaluate

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = sorted((ROOT / "tests" / "nlu").glob("*.yml"))


def default_config() -> Path:
    """The config.yml that `rasa init` writes, from the installed Rasa."""
    import rasa

    return Path(rasa.__file__).parent / "cli" / "initial_project" / "config.yml"


def train(config: Path, out: Path, nlu: Path) -> tuple[Path, float]:
    """Train an NLU-only model; return its path and the wall-clock training time."""
    # A fresh, empty cache: otherwise Rasa reuses featurizers trained earlier and the time lies.
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_CACHE_DIRECTORY": str(out / "cache")}
    started = time.monotonic()
    cmd = [
        str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(config),
        "--nlu", str(nlu), "--out", str(out), "--fixed-model-name", "bench",
    ]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out / "bench.tar.gz", time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", default=[], metavar="NAME=PATH", help="another config to compare")
    parser.add_argument("--skip-default", action="store_true", help="do not train Rasa's default pipeline")
    parser.add_argument("--skip-ours", action="store_true", help="do not train config.yml")
    parser.add_argument("--nlu", type=Path, default=ROOT / "data" / "nlu", help="training data (default: data/nlu)")
    parser.add_argument("--locales", nargs="*", help="score only these locales' held-out sets")
    parser.add_argument("--skip-lid", action="store_true", help="do not score language identification")
    args = parser.parse_args()
    configs = {} if args.skip_ours else {"ours": ROOT / "config.yml"}
    if not args.skip_default:
        configs["rasa-default"] = default_config()
    for item in args.config:
        name, _, path = item.partition("=")
        configs[name] = Path(path)
    logging.disable(logging.WARNING)
    held_out = [p for p in HELD_OUT if not args.locales or p.stem in args.locales]
    # Each pipeline's rows are printed as soon as it is scored: Rasa's default takes hours.
    print(f"{'pipeline':14} {'locale':8} {'examples':>8} {'accuracy':>9} {'macro_f1':>9} {'fallback':>9} {'train_s':>8}", flush=True)
    for name, config in configs.items():
        with tempfile.TemporaryDirectory() as tmp:
            print(f"training {name} ({config}) ...", file=sys.stderr, flush=True)
            model, seconds = train(config, Path(tmp), args.nlu)
            for s in evaluate(str(model), held_out):
                scores = f"{s.examples:8d} {s.accuracy:9.3f} {s.macro_f1:9.3f} {s.fallbacks:9d}"
                print(f"{name:14} {s.locale:8} {scores} {seconds:8.0f}", flush=True)
    if not args.skip_lid:
        print_lid(held_out, args.nlu)
    return 0


def print_lid(held_out: list[Path], nlu: Path) -> None:
    """Language identification accuracy per locale, on held-out messages of three words or more."""
    from lid_eval import evaluate_lid

    print(f"{'language-id':14} {'locale':8} {'messages':>8} {'lingua':>9} {'ours':>9}", flush=True)
    alone = {s.locale: s for s in evaluate_lid(held_out, 3, None)}
    for s in evaluate_lid(held_out, 3, nlu):
        print(f"{'':14} {s.locale:8} {s.messages:8d} {alone[s.locale].accuracy:9.3f} {s.accuracy:9.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
