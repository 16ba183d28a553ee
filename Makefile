.PHONY: demo training test lint bench diagram

demo:  ## set up and serve the demo (SQLite, demo data) on 127.0.0.1:8000
	scripts/demo.sh

training:  ## a training mechanism with an exercise (PACK=...) on 127.0.0.1:8001
	scripts/training.sh $(PACK)

test:  ## set up and run the whole test suite on PostgreSQL, lint included
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports --no-cache
