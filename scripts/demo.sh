#!/usr/bin/env bash
# Sets up and serves the demo on the embedded SQLite database, with demo data.
# Safe to run again: migrations and demo data are idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=config.settings.demo
unset DATABASE_URL
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py load_demo
exec .venv/bin/python manage.py runserver "${DEMO_ADDR:-127.0.0.1:8000}"
