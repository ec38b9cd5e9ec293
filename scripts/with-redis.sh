#!/usr/bin/env bash
# Run a command with KYR_TEST_REDIS_URL pointing at a throwaway Redis server on loopback
# (Debian's redis-server, installed when run as root), stopped and deleted afterwards.
# Without it, and not root, the command runs without it and those tests are skipped, loudly.
set -euo pipefail

if [ -n "${KYR_TEST_REDIS_URL:-}" ]; then exec "$@"; fi
PORT="${KYR_TEST_REDIS_PORT:-26379}"
# Another run may hold the port: take the next free one.
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done

if ! command -v redis-server >/dev/null && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
fi
if ! command -v redis-server >/dev/null; then
  echo "*** Redis is not installed (apt-get install redis-server): its tests are SKIPPED ***" >&2
  exec "$@"
fi

DIR="$(mktemp -d /tmp/kyr311-redis.XXXXXX)"
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save "" --appendonly no --daemonize yes \
  --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >/dev/null
cleanup() { [ -f "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
export KYR_TEST_REDIS_URL="redis://127.0.0.1:$PORT/0"
echo "Redis for the tests: $KYR_TEST_REDIS_URL"
"$@"
