#!/usr/bin/env bash
# Sets up and runs the whole test suite, lint included, on PostgreSQL.
# Uses DATABASE_URL when set; otherwise finds or starts a local PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/find_postgres.sh)
  export DATABASE_URL
fi
case "$DATABASE_URL" in
  postgres://*|postgresql://*|pgsql://*) ;;
  *) echo "error: DATABASE_URL must point at PostgreSQL for the tests" >&2; exit 1 ;;
esac
mkdir -p var
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> migrations are up to date"
DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python manage.py \
  makemigrations --check --dry-run >/dev/null
echo "==> pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
