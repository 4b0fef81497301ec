#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL cluster and removes the cluster afterwards.
#   .ci/with-postgres.sh npm test
#   .ci/with-postgres.sh npx tap test/ledger/replicas.test.ts
# The command sees TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres (trust auth, loopback only).
# Installs Debian's postgresql package when initdb/pg_ctl are missing and we are root; without PostgreSQL the
# command still runs, and the tests that need it say loudly that they skipped.
set -euo pipefail

find_pg_bin() {
  local d
  for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")" /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

PG_BIN="$(find_pg_bin || true)"
if [ -z "$PG_BIN" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "with-postgres: installing postgresql" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN="$(find_pg_bin || true)"
fi
if [ -z "$PG_BIN" ]; then
  echo "with-postgres: PostgreSQL is not available; running without TEST_DATABASE_URL" >&2
  exec "$@"
fi

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/ngw-postgres.XXXXXX")"
if [ "$(id -u)" = 0 ]; then chown postgres "$PG_TMP"; fi
cleanup() {
  as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TMP"
}
trap cleanup EXIT INT TERM

PG_PORT="$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
as_owner "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
# fsync off: the cluster is thrown away, and the gateway's crash tests kill the gateway, not PostgreSQL.
as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 start \
  -o "-p $PG_PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
echo "with-postgres: PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT" >&2

status=0
"$@" || status=$?
exit "$status"
