#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 needs >=3.8,<3.11), or explain how to get one.
set -u
candidates=("${PYTHON310:-}" python3.10)
for dir in "$HOME"/.pyenv/versions/3.10*/bin /usr/local/bin /usr/bin /opt/python/3.10*/bin; do
  candidates+=("$dir/python3.10")
done
for c in "${candidates[@]}"; do
  [ -n "$c" ] || continue
  if out=$("$c" -c 'import sys, venv; print(sys.executable if sys.version_info[:2] == (3, 10) else "")' 2>/dev/null) && [ -n "$out" ]; then
    echo "$out"; exit 0
  fi
done
cat >&2 <<'MSG'
Python 3.10 was not found, and Rasa 3.6 needs it (it does not run on 3.11 or newer).
Get it in one of these ways, then run the command again:
  - pyenv:   pyenv install 3.10     (https://github.com/pyenv/pyenv)
  - uv:      uv python install 3.10, then PYTHON310=$(uv python find 3.10) make ...
  - Debian/Ubuntu with deadsnakes or a 3.10 release: apt-get install python3.10 python3.10-venv
Or point PYTHON310 at a Python 3.10 interpreter: PYTHON310=/path/to/python3.10 make test
MSG
exit 1
