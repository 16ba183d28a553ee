.PHONY: demo test lint bench diagram

demo:  ## set up and serve the demo (SQLite, demo data) on 127.0.0.1:8000
	scripts/demo.sh

test:  ## set up and run the whole test suite on PostgreSQL, lint included
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports --no-cache
