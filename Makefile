# coursekit: two commands on a fresh machine.
#   make book   build the HTML book (executes every notebook) into _build/html
#   make test   run every test: unit tests, nbval on every notebook, the strict book build,
#               and a real browser (chromium) against the built pages
# Both create or update the virtual environment .venv from requirements.txt first.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
JOBS ?= 2
NOTEBOOKS := $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
# The stored outputs are produced and validated in the default mode, on the CPU, with progress
# bars off (a bar is live feedback, not a result); matplotlib must keep its inline backend.
NB_ENV := env -u MPLBACKEND -u COURSEKIT_FULL COURSEKIT_DEVICE=cpu COURSEKIT_PROGRESS=0
export PATH := $(BIN):$(PATH)

.PHONY: help venv book test test-unit test-notebooks test-build test-browser execute lint clean

help:
	@echo "make book   build the book into _build/html (executes all notebooks)"
	@echo "make test   run every test (unit, notebooks, strict build, browser)"
	@echo "make execute [NB=chapters/x/y.ipynb]   re-execute and store notebooks (default mode, CPU)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	rm -rf _build
	env -u MPLBACKEND COURSEKIT_PROGRESS=0 $(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo "Open _build/html/index.html"

test: test-unit test-notebooks test-build test-browser

lint: $(STAMP)
	$(BIN)/ruff check src tests

test-unit: lint
	$(BIN)/python -m pytest -p no:cacheprovider -m "not browser" tests

test-notebooks: $(STAMP)
	$(NB_ENV) $(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -n $(JOBS) --dist loadfile $(NOTEBOOKS)

# The strict build from a clean _build. nbval has just executed every notebook and checked that
# the stored outputs reproduce, so this build renders them (execution off, derived from
# _config.yml); `make book` executes.
test-build: $(STAMP)
	rm -rf _build && mkdir -p _build
	sed -E 's/^(  execute_notebooks:).*/\1 "off"/' _config.yml > _build/_config_render.yml
	grep -q 'execute_notebooks: "off"' _build/_config_render.yml
	$(BIN)/jupyter-book build . --all -W -n --keep-going --config _build/_config_render.yml

test-browser: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -m browser tests/test_browser.py

execute: $(STAMP)
	$(NB_ENV) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=False \
	  $(or $(NB),$(NOTEBOOKS))

clean:
	rm -rf _build
