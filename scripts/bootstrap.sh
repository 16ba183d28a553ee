#!/usr/bin/env bash
# Creates .venv and installs the project with its dev tools, once per change
# of pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  if .venv/bin/python -m pip show django-fsm >/dev/null 2>&1; then
    echo "error: the django-fsm distribution is installed beside django-fsm-2;" \
      "remove it (pip uninstall django-fsm)" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
