# Two commands start the project on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m devstack.run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/calculation_inprocess.py
	$(BIN)/python bench/calculation.py
	$(BIN)/python bench/applications.py
	$(BIN)/python bench/messaging.py
	$(BIN)/python bench/meetings.py

clean:
	rm -rf $(VENV) .data
