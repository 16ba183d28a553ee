#!/usr/bin/env bash
# Prints a DATABASE_URL for a reachable PostgreSQL server, starting one if it
# must: 1) the local server on 127.0.0.1:5432 or its socket; 2) a stopped
# Debian cluster, started with pg_ctlcluster; 3) a throwaway cluster in
# var/pgdata made with initdb. Fails loudly when none can be had.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

try_url() {
  "$PY" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg2
psycopg2.connect(sys.argv[1], connect_timeout=3).close()
PYEOF
}

for url in \
  "postgres://postgres@127.0.0.1:5432/postgres" \
  "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres" \
  "postgres://$(id -un)@127.0.0.1:5432/postgres"; do
  if try_url "$url"; then echo "$url"; exit 0; fi
done

if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    echo "starting PostgreSQL cluster $version/main" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 2>&1 || true
  done
  for _ in $(seq 1 20); do
    if try_url "postgres://postgres@127.0.0.1:5432/postgres"; then
      echo "postgres://postgres@127.0.0.1:5432/postgres"; exit 0
    fi
    sleep 0.5
  done
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "$bindir" ] && [ -x "$bindir/initdb" ]; then
  data="$PWD/var/pgdata"; port=55432
  mkdir -p var
  as_pg=()
  if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); chown -R postgres var 2>/dev/null || true; fi
  if [ ! -d "$data" ]; then
    echo "initialising a throwaway PostgreSQL cluster in $data" >&2
    "${as_pg[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust >&2 || true
  fi
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$data" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" \
    -l "$data/log" -w start >&2 2>&1 || true
  url="postgres://postgres@127.0.0.1:$port/postgres"
  if try_url "$url"; then echo "$url"; exit 0; fi
fi

echo "error: no PostgreSQL server could be found or started. Set DATABASE_URL to" \
  "a PostgreSQL server (postgres://user@host:port/db), or install PostgreSQL" \
  "(apt-get install postgresql). The test suite does not fall back to SQLite." >&2
exit 1
