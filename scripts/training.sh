#!/usr/bin/env bash
# A training mechanism in one command: its own SQLite database
# (var/training.sqlite3, marked as a training database when it is created),
# an exercise started from a scenario pack (the trainer's and trainees'
# credentials and one-time-password keys are printed once), served on
# 127.0.0.1:8001. Usage: scripts/training.sh [PACK]   (default:
# reception-mixed-arrival; see training/packs/). docs/training.md says more.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=config.settings.demo NRM_TRAINING=1
export DATABASE_URL="${TRAINING_DATABASE_URL:-sqlite:///$PWD/var/training.sqlite3}"
mkdir -p var
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py start_exercise "${1:-reception-mixed-arrival}" \
  || echo "No new exercise started (see above); the running one goes on."
exec .venv/bin/python manage.py runserver "${TRAINING_ADDR:-127.0.0.1:8001}"
