# make run: everything on the embedded default. make test: every check. Each sets itself up.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
HELD_OUT := $(wildcard tests/nlu/*.yml)
MIN_F1 ?= 0.92

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::DeprecationWarning
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# endpoints.yml reads these; a rasa command run by hand without them would create a file
# literally named "${KYR_TRACKER_DB}".
export KYR_TRACKER_DB ?= $(CURDIR)/var/trackers.db
export KYR_ACTION_ENDPOINT ?= http://127.0.0.1:5055/webhook

.PHONY: run run-scaled test chat train validate lint unit conversations nlu-eval e2e browser bench-nlu bench bench-scaled clean

$(STAMP): pyproject.toml constraints.txt
	@if [ ! -x $(PY) ]; then \
	  python310=$$(scripts/find-python310.sh) || exit 1; \
	  echo "Creating $(VENV) with $$python310"; \
	  "$$python310" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.2"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/kyr311 run --demo

# Scaled mode on one machine: two Rasa instances, throwaway PostgreSQL and Redis (deleted at Ctrl-C).
run-scaled: $(STAMP)
	scripts/with-postgres.sh scripts/with-redis.sh bash -c 'KYR_DATABASE_URL="$$KYR_TEST_DATABASE_URL" \
	  KYR_REDIS_URL="$$KYR_TEST_REDIS_URL" KYR_RASA_INSTANCES=2 exec $(BIN)/kyr311 run --demo'

chat: $(STAMP)
	$(BIN)/kyr311 chat

train: $(STAMP)
	$(BIN)/kyr311 train

validate: $(STAMP)
	$(BIN)/rasa data validate --fail-on-warnings --quiet
	$(BIN)/kyr311 content check

lint: $(STAMP)
	$(BIN)/ruff check bot actions connectors tests scripts
	$(BIN)/mypy

# With throwaway PostgreSQL and Redis on loopback for the tests that need them (installed when root).
unit: $(STAMP)
	scripts/with-postgres.sh scripts/with-redis.sh $(BIN)/pytest -m "not e2e" -q

conversations: train
	$(BIN)/rasa test core --model "$$($(BIN)/kyr311 model-path)" --stories tests/conversations \
	  --fail-on-prediction-errors --out results/conversations --quiet

nlu-eval: train
	$(PY) scripts/nlu_eval.py "$$($(BIN)/kyr311 model-path)" $(HELD_OUT) --min-f1 $(MIN_F1) --min-f1-for en=0.95 --min-f1-for es=0.95

# Debian's Chromium for the widget's browser tests (installed when run as root).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; }; } \
	  || { echo "the browser tests need Chromium: apt-get install chromium" >&2; exit 1; }

# Scaled mode (tests/e2e/test_scaled.py) needs PostgreSQL and Redis: throwaway servers on loopback.
e2e: train browser
	scripts/with-postgres.sh scripts/with-redis.sh $(BIN)/pytest -m e2e -q

test: validate lint unit train conversations nlu-eval e2e
	@echo "make test: all checks passed"

bench-nlu: $(STAMP)
	$(PY) scripts/bench_nlu.py

# Load benchmark: /twilio/sms and the chat API against the plain `rasa init` bot, with wrk (from
# Debian, installed when root) at 1, 10 and 50 conversations. Prints p50/p95/p99, errors,
# messages/s and memory; last line: p95_ratio=... throughput_ratio=... (ours/plain at 10).
bench: train
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "make bench needs wrk: apt-get install wrk" >&2; exit 1; }
	$(PY) scripts/bench.py $(BENCH_ARGS)

# The same with two Rasa instances on throwaway PostgreSQL and Redis.
bench-scaled: train
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "make bench needs wrk: apt-get install wrk" >&2; exit 1; }
	scripts/with-postgres.sh scripts/with-redis.sh $(PY) scripts/bench.py --scaled $(BENCH_ARGS)

clean:
	rm -rf results reports .pytest_cache .mypy_cache .ruff_cache
