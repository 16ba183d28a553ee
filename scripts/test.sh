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
# The browser tests (tests/browser/) drive Debian's Chromium through
# Playwright; `playwright install` (which downloads a browser) is never used.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "error: the browser tests need /usr/bin/chromium; install it as root" \
      "(apt-get install chromium fonts-dejavu-core) or run this script as root" >&2
    exit 1
  fi
fi
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> import contracts (the layering, pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports --no-cache
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
