# tiering — make targets a newcomer can read in a minute.
#   make run    install into .venv and serve the web app with demo data on 127.0.0.1:8000
#   make demo   the command-line demo on the sample firms
#   make test   install into .venv and run the test suite
#   make lint   ruff lint + format check
#   make bench  run the benchmarks in bench/ (results go to docs/benchmarks.md by hand)
#   make system install the Debian packages the PDF reports and the tests need (root or sudo)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run demo worker test lint format bench clean system system-packages

SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
                   poppler-utils chromium

system-packages:  # the list, for .ci/run
	@echo $(SYSTEM_PACKAGES)

system:
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
		apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES)

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: install
	$(VENV)/bin/tiering serve

demo: install
	$(VENV)/bin/tiering batch data/sample_firms.csv -o out/sample_results.csv
	$(VENV)/bin/tiering assess data/example_firm.json

worker: install
	$(VENV)/bin/tiering worker

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/bench_scoring.py

clean:
	rm -rf $(VENV) out var .pytest_cache .ruff_cache .hypothesis
