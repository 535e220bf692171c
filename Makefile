# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# Django 6 needs Python 3.12+. pyenv shims may exist but refuse to run, so every
# candidate is tried with --version and the first that really runs wins.
PYTHON_CANDIDATES := python3.13 python3.12 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3) $(wildcard /root/.pyenv/versions/3.13*/bin/python3) $(wildcard /root/.pyenv/versions/3.12*/bin/python3) /usr/bin/python3.13 /usr/bin/python3.12 python3
PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do if $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then echo $$p; break; fi; done)

.PHONY: demo test test-sqlite test-postgres install install-test browser pgbouncer lint bench clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "No Python 3.12+ found. Install one (e.g. 'apt-get install python3.12' or 'pyenv install 3.12') and retry." >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Debian's chromium for the Playwright tests (Playwright's own browser download cannot work here).
# Idempotent: does nothing when /usr/bin/chromium is there; otherwise apt-get as root or through sudo.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "chromium is missing and neither root nor sudo is available: install the 'chromium' package" >&2; exit 1; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null || exit 1; \
	fi
	@/usr/bin/chromium --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 \
		|| { echo "/usr/bin/chromium does not run" >&2; exit 1; }

# Debian's pgbouncer for the tests of telcost behind a pooler in transaction mode (tests/test_pooler.py
# starts its own on a free port; the package's service is not used). Idempotent like `browser`.
pgbouncer:
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
		echo "Installing Debian's pgbouncer for the connection pooler tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "pgbouncer is missing and neither root nor sudo is available: install the 'pgbouncer' package" >&2; exit 1; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null || exit 1; \
	fi

demo: install
	$(BIN)/python -m telcost.demo_runner

test: install browser pgbouncer lint
	$(BIN)/python -m telcost.testing.run_suites

lint: install
	$(BIN)/ruff check telcost tests benchmarks && $(BIN)/lint-imports

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var
