#!/usr/bin/env bash
# Run the whole suite on SQLite, then on a throwaway PostgreSQL started here (and stopped on exit).
# pytest's exit 5 ("no tests collected") fails the run like any other non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PYTEST_ARGS=(-p no:cacheprovider -n 2 --dist loadgroup "$@")

scratch=$(mktemp -d /tmp/gongzhi-test.XXXXXX)
chmod 755 "$scratch"
pg_bin=""
cleanup() {
  if [ -n "$pg_bin" ] && [ -f "$scratch/pg/postmaster.pid" ]; then
    $as_postgres "$pg_bin/pg_ctl" -D "$scratch/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

run_pytest() {
  local label=$1; shift
  echo "=== tests on $label ==="
  set +e
  "$@" "$BIN/pytest" "${PYTEST_ARGS[@]}"
  local status=$?
  set -e
  if [ $status -eq 5 ]; then echo "pytest collected no tests on $label: failing"; exit 1; fi
  if [ $status -ne 0 ]; then echo "tests failed on $label (exit $status)"; exit $status; fi
}

mkdir -p "$scratch/sqlite"
run_pytest SQLite env GONGZHI_DATA_DIR="$scratch/sqlite" GONGZHI_DATABASE_URL=

# PostgreSQL: the server binaries are on the machines; initdb refuses root, so run it as `postgres`.
for dir in "$(command -v pg_config >/dev/null && pg_config --bindir)" /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ]; then pg_bin=$dir; fi
done
if [ -z "$pg_bin" ]; then
  if [ "${CI:-}" = "true" ]; then echo "PostgreSQL server binaries not found (Debian package postgresql)"; exit 1; fi
  echo "SKIPPED the PostgreSQL run: server binaries not found (install the Debian package postgresql)"
  exit 0
fi
as_postgres=""
if [ "$(id -u)" = 0 ]; then as_postgres="runuser -u postgres --"; fi
mkdir -p "$scratch/pg"
if [ -n "$as_postgres" ]; then chown postgres "$scratch/pg"; fi
port=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$as_postgres "$pg_bin/initdb" -D "$scratch/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# A throwaway cluster: durability off for speed.
$as_postgres "$pg_bin/pg_ctl" -D "$scratch/pg" -w -l "$scratch/pg/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $scratch/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
mkdir -p "$scratch/postgres"
run_pytest PostgreSQL env GONGZHI_DATA_DIR="$scratch/postgres" \
  GONGZHI_DATABASE_URL="postgres://postgres@127.0.0.1:$port/gongzhi"
