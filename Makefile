# Two entry points for a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(PATH)

# Debian packages the test suite drives for real (registry, independent OCI client).
DEBIAN_TEST_PACKAGES := docker-registry skopeo

# Go tools the suite drives as real consumers (package@version; one binary each, into $(TOOLS)/bin).
# Built in a scratch module rather than `go install pkg@version`: carvel.dev modules have no version
# list on the module proxy (go install's deprecation lookup fails) nor checksum-database entries.
GO_TOOLS := carvel.dev/imgpkg/cmd/imgpkg@v0.44.2 carvel.dev/ytt/cmd/ytt@v0.52.0 \
  github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
GO_NOSUMDB := carvel.dev

.PHONY: run test bench venv test-deps tools clean

$(BIN)/genplat: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

venv: $(BIN)/genplat

# The upstream CRDs beside the project (../shared/crds) when present: custom resources are then
# checked against them too; without it they are reported as "not validated" (a warning).
CRDS := $(wildcard ../shared/crds)
CRDS_FLAG := $(if $(CRDS),--crds $(CRDS),)

run: venv
	$(BIN)/genplat validate blueprints
	$(BIN)/genplat build $(CRDS_FLAG)
	$(BIN)/genplat package

test-deps: venv
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

tools:
	@if ! command -v go >/dev/null 2>&1; then echo "go not found: skipping $(GO_TOOLS)"; exit 0; fi; \
	mkdir -p $(TOOLS)/bin; \
	for spec in $(GO_TOOLS); do \
	  pkg=$${spec%@*}; ver=$${spec#*@}; bin=$${pkg##*/}; mod=$${pkg%%/cmd/*}; \
	  [ "$$(cat $(TOOLS)/bin/.$$bin.version 2>/dev/null)" = "$$spec" ] && [ -x $(TOOLS)/bin/$$bin ] && continue; \
	  echo "building $$spec"; work=$$(mktemp -d); \
	  ( cd $$work && go mod init genplat.local/tools >/dev/null 2>&1 && go mod edit -require=$$mod@$$ver && \
	    GONOSUMDB=$(GO_NOSUMDB) GOFLAGS=-mod=mod go build -o $(TOOLS)/bin/$$bin $$pkg ) || { rm -rf $$work; exit 1; }; \
	  rm -rf $$work; echo "$$spec" > $(TOOLS)/bin/.$$bin.version; \
	done

test: test-deps tools
	$(BIN)/genplat build --check $(CRDS_FLAG)
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/diff_bench.py
	$(BIN)/python bench/check_bench.py
	$(BIN)/python bench/emit_bench.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
