# Two commands start the project on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Policy and lint tools for the deployment live apart: their dependencies are not the services'.
TOOLS  := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(TOOLS_STAMP): deploy/tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet -r deploy/tools.txt
	touch $(TOOLS_STAMP)

install: $(STAMP) $(TOOLS_STAMP)

run: $(STAMP)
	$(BIN)/python -m devstack.run

test: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	BISTAND_POLICY_TOOLS=$(TOOLS)/bin $(BIN)/python -m pytest -n auto --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/calculation_inprocess.py
	$(BIN)/python bench/calculation.py
	$(BIN)/python bench/applications.py
	$(BIN)/python bench/messaging.py
	$(BIN)/python bench/meetings.py
	$(BIN)/python bench/peak.py
	$(BIN)/python bench/proposal.py

clean:
	rm -rf $(VENV) $(TOOLS) .data
