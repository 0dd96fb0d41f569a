# Two entry points for a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(PATH)

# Debian packages the test suite drives for real (registry, independent OCI client).
DEBIAN_TEST_PACKAGES := docker-registry skopeo

.PHONY: run test bench venv test-deps tools clean

$(BIN)/genplat: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

venv: $(BIN)/genplat

run: venv
	$(BIN)/genplat validate blueprints

test-deps: venv
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: test-deps
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
