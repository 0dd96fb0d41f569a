# Two entry points for a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

UPSTREAM := $(PYTHON) tools/upstream.py

# Debian packages the test suite drives for real (registry, independent OCI client).
DEBIAN_TEST_PACKAGES := docker-registry skopeo

.PHONY: run test test-fast lint bench venv lock test-deps tools crds wheels clean

# Exact, hashed versions from the committed lock (requirements/*.txt, made by `make lock`); genplat
# itself is installed from the checkout without build isolation, so its build backend is locked too.
$(BIN)/genplat: pyproject.toml requirements.txt requirements/build.txt requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(BIN)/genplat

# Refresh the locks to the newest versions pyproject.toml's ranges allow (commit the result).
LOCK := $(BIN)/uv pip compile --generate-hashes --universal --python-version 3.11 --upgrade --quiet
lock: venv
	$(LOCK) requirements/build.in -o requirements/build.txt
	$(LOCK) pyproject.toml --extra test -o requirements/test.txt
	$(LOCK) pyproject.toml -o requirements/runtime.txt

# The suite against the newest versions pyproject.toml's ranges allow, so drift shows before users hit it.
LATEST := .venv-latest
test-latest: test-deps
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --disable-pip-version-check --upgrade -r requirements/build.in
	$(LATEST)/bin/pip install --quiet --disable-pip-version-check --upgrade -e '.[test]'
	@echo "moved from the lock:"; { $(LATEST)/bin/python tools/upstream.py moved requirements/build.txt; $(LATEST)/bin/python tools/upstream.py moved requirements/test.txt; } | sort -u | sed 's/^/  /'
	@$(LATEST)/bin/python -m pytest -q -p no:cacheprovider || { \
	  echo "make test-latest: the suite fails with the newest versions the ranges allow; the dependencies that"; \
	  echo "moved from the lock are listed above: pin an upper bound in pyproject.toml or adapt genplat."; exit 1; }

# `make run` checks every custom resource against the CRDs of the add-on versions each cluster runs, as
# blueprints/addons.lock.json pins them; a cold add-on cache is filled from the Go module proxy (and the
# folders vendored in blueprints/addons/), checked against the lock's digests.
run: venv
	$(BIN)/genplat validate blueprints
	$(BIN)/genplat build
	$(BIN)/genplat package

test-deps: venv crds tools wheels
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# The locked runtime wheels, hash-checked, for the test that installs genplat's wheel into a fresh
# virtualenv offline (as `pip install genplat` would, without reaching PyPI from a test).
wheels: venv
	@$(BIN)/pip download --quiet --disable-pip-version-check --require-hashes --no-deps \
	  -r requirements/runtime.txt -d "$$($(UPSTREAM) wheelhouse)"

# Upstream CRDs at release versions, as Go modules in the module cache.
crds:
	@if command -v go >/dev/null 2>&1; then $(UPSTREAM) crds >/dev/null; \
	elif [ "$$GENPLAT_REQUIRE_TOOLS" = 1 ]; then echo "go not found: the upstream CRDs cannot be fetched" >&2; exit 1; \
	else echo "go not found: skipping the upstream CRDs (tests that need them skip)"; fi

# The pinned Go tools, built once per machine into the cache outside the clone (tools/upstream.py).
tools:
	@$(UPSTREAM) build

# ruff's lint and format check, as click and httpx run them (pyproject.toml has the settings).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: test-deps lint
	$(BIN)/genplat addons lock --check
	$(BIN)/genplat build --check
	$(BIN)/python -m pytest -q

# The edit-test loop: no real servers, tools or faults (about 1.5 minutes on two cores). `make test`
# runs everything; CI runs `make test`.
FAST := not cluster and not faults and not slow and not registry and not tools
test-fast: venv lint crds
	$(BIN)/python -m pytest -q -m "$(FAST)"

bench: venv
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/diff_bench.py
	$(BIN)/python bench/check_bench.py
	$(BIN)/python bench/emit_bench.py
	$(BIN)/python bench/completion_bench.py

clean:
	rm -rf $(VENV) $(LATEST) .pytest_cache
