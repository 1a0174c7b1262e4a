# coursekit: two commands on a fresh machine.
#   make book   build the HTML book, student edition (executes every notebook) into _build/html
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

# Two editions from one source (coursekit.edition): each is built from a staged copy of the
# book's sources. The student edition (published, _build/html) holds the homework releases:
# no solution, no hidden test; `coursekit.edition scan` fails the build if any secret line
# reaches it. The instructor edition (_build/instructor/html) shows solutions and hidden tests.
STUDENT_SRC := _build/student-src
INSTRUCTOR := _build/instructor
EDITION := $(BIN)/python -m coursekit.edition
# Everything a student build leaves in _build, but not the instructor edition.
# _build/.cache keeps the executed notebooks (tools/bookrun.py) and the last nbval times.
CACHE := _build/.cache
STUDENT_BUILD = $(filter-out $(INSTRUCTOR) $(CACHE),$(wildcard _build/* _build/.[!.]*))
BOOKRUN := $(BIN)/python tools/bookrun.py

.PHONY: help venv book book-instructor test test-unit test-notebooks test-build test-editions \
	test-browser execute lint bench lab lab-instructor clean

help:
	@echo "make book   build the student edition into _build/html (executes all notebooks)"
	@echo "make book-instructor   build the instructor edition into _build/instructor/html"
	@echo "make test   run every test (unit, notebooks, strict build, browser)"
	@echo "make execute [NB=chapters/x/y.ipynb]   re-execute and store notebooks (default mode, CPU)"
	@echo "make lab   JupyterLab set up for readers (make lab-instructor: with nbgrader)"
	@echo "make bench [QUICK=1]   run every benchmark of bench/ (ratios against named peers)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

# The notebooks run through a cache (tools/bookrun.py): after editing one chapter only that
# chapter runs again. The pages "How this book runs" and "Performance" and each chapter's
# run-time badge are written from the measurements, then Jupyter Book renders (execution off).
book: $(STAMP)
	rm -rf $(STUDENT_BUILD)
	$(EDITION) stage student $(STUDENT_SRC) --execute off
	env -u MPLBACKEND COURSEKIT_PROGRESS=0 $(BOOKRUN) execute $(STUDENT_SRC) \
	  --cache $(CACHE)/notebooks --runs $(CACHE)/runs.json
	$(BOOKRUN) pages $(STUDENT_SRC) --runs $(CACHE)/runs.json
	$(BIN)/jupyter-book build $(STUDENT_SRC) --path-output . --all -W -n --keep-going
	$(EDITION) scan _build/html
	@echo "Open _build/html/index.html (student edition)"

# Not for publishing: every solution and hidden test is on the pages and in _sources.
book-instructor: $(STAMP)
	rm -rf $(INSTRUCTOR)
	$(EDITION) stage instructor $(INSTRUCTOR)/src
	env -u MPLBACKEND COURSEKIT_PROGRESS=0 $(BIN)/jupyter-book build $(INSTRUCTOR)/src \
	  --path-output $(INSTRUCTOR) --all -W -n --keep-going
	mv $(INSTRUCTOR)/_build/html $(INSTRUCTOR)/html
	@echo "Open $(INSTRUCTOR)/html/index.html (instructor edition: do not publish)"

test: test-unit test-notebooks test-build test-editions test-browser

# Notebooks too: chapters/ruff.toml holds them to 88-character lines.
lint: $(STAMP)
	$(BIN)/ruff check src tests tools bench chapters

# Unit tests, then every docstring example of the package (--doctest-modules).
test-unit: lint
	$(BIN)/python -m pytest -p no:cacheprovider -m "not browser and not build" tests
	$(BIN)/python -m pytest -p no:cacheprovider --doctest-modules src/coursekit \
	  --ignore=src/coursekit/homework

# In a network namespace with only the loopback (tools/offline.sh): the notebooks run offline.
test-notebooks: $(STAMP)
	mkdir -p $(CACHE)
	tools/offline.sh $(NB_ENV) $(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -n $(JOBS) --dist loadfile \
	  --junitxml=$(CACHE)/nbval.xml $(NOTEBOOKS)

# The strict build of the student edition from a clean _build (the instructor edition is kept).
# nbval has just executed every notebook and checked that the stored outputs reproduce, so this
# build renders them (execution off in the staged _config.yml); `make book` executes.
test-build: $(STAMP)
	rm -rf $(STUDENT_BUILD)
	$(EDITION) stage student $(STUDENT_SRC) --execute off
	grep -q "execute_notebooks: 'off'" $(STUDENT_SRC)/_config.yml
	$(BOOKRUN) pages $(STUDENT_SRC) --junit $(CACHE)/nbval.xml
	$(BIN)/jupyter-book build $(STUDENT_SRC) --path-output . --all -W -n --keep-going
	$(EDITION) scan _build/html

# The built student edition holds no solution or hidden-test line (tests/test_editions.py).
test-editions: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -m build tests/test_editions.py

test-browser: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -m browser tests/test_browser.py tests/test_lab.py

execute: $(STAMP)
	$(NB_ENV) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=False \
	  $(or $(NB),$(NOTEBOOKS))
	$(BIN)/python tools/relative_paths.py $(or $(NB),$(NOTEBOOKS))
	$(BIN)/python tools/fold_inputs.py $(or $(NB),$(NOTEBOOKS))

# JupyterLab for readers (the book's markup rendered, players trusted, no nbgrader menus) and for
# instructors (nbgrader's menus kept); both serve 127.0.0.1 only. README: "Reading and running".
LAB := $(BIN)/jupyter lab --ip=127.0.0.1 --LabServerApp.app_settings_dir=$(abspath jupyter/reader/settings)
lab: $(STAMP)
	$(BIN)/jupyter trust $(NOTEBOOKS)
	JUPYTER_CONFIG_PATH=$(abspath jupyter/reader) $(LAB)

lab-instructor: $(STAMP)
	$(BIN)/jupyter trust $(NOTEBOOKS)
	$(LAB)

# Every benchmark of bench/, each printing ratios against a named peer measured in the same run;
# the records go to stats/bench/ for the book's "Performance" page. QUICK=1: small sizes, no record.
bench: $(STAMP)
	$(BIN)/python tools/bench.py $(if $(QUICK),--quick)

clean:
	rm -rf _build
