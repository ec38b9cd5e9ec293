#!/usr/bin/env bash
# Run a command with KYR_TEST_DATABASE_URL pointing at a throwaway PostgreSQL server on
# loopback, so that the tests that need a real PostgreSQL run too. The server lives in a
# temporary folder and is stopped and deleted afterwards. PostgreSQL comes from Debian
# (installed when run as root). Without it, and not root, the command runs without it and
# those tests are skipped, loudly.
set -euo pipefail

if [ -n "${KYR_TEST_DATABASE_URL:-}" ]; then exec "$@"; fi
PORT="${KYR_TEST_PG_PORT:-25432}"
# Another run may hold the port: take the next free one.
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN="$(pg_bin)"
if [ -z "$BIN" ] && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
  BIN="$(pg_bin)"
fi
if [ -z "$BIN" ]; then
  echo "*** PostgreSQL is not installed (apt-get install postgresql): its tests are SKIPPED ***" >&2
  exec "$@"
fi

DIR="$(mktemp -d /tmp/kyr311-pg.XXXXXX)"
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() { as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
as_owner "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 >/dev/null
# In the configuration file, so that a test that restarts the server gets the same one back.
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = '127.0.0.1'\nfsync = off\n" "$PORT" "$DIR" \
  | as_owner tee -a "$DIR/data/postgresql.conf" >/dev/null
as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null
as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres kyr311
export KYR_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORT/kyr311"
# For the tests that restart the server (a database restart must not lose a report).
export KYR_TEST_PG_CTL="$BIN/pg_ctl" KYR_TEST_PG_DATA="$DIR/data"
echo "PostgreSQL for the tests: $KYR_TEST_DATABASE_URL"
"$@"
