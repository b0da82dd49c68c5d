# clobnode — every target bootstraps what it needs, idempotently.
# Build caches live outside the clone (CLOBNODE_CACHE) so a fresh clone rebuilds fast.

SHELL := /bin/bash
CLOBNODE_CACHE ?= $(HOME)/.cache/clobnode
export CARGO_TARGET_DIR ?= $(CLOBNODE_CACHE)/target
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := tools/node_modules
FOUNDRY_BIN := $(TOOLS)/@foundry-rs
export PATH := $(CURDIR)/$(FOUNDRY_BIN)/forge-linux-amd64/bin:$(CURDIR)/$(FOUNDRY_BIN)/anvil-linux-amd64/bin:$(CURDIR)/$(FOUNDRY_BIN)/cast-linux-amd64/bin:$(PATH)

.PHONY: start test bootstrap tools venv core contracts zkvm browser lint clean

start: bootstrap
	$(VENV)/bin/clobnode start

test: bootstrap zkvm browser
	bash scripts/run-tests.sh

# Every static check (scripts/lint.sh): cargo fmt and clippy -D warnings on the Rust, forge fmt
# on the contracts, ruff and mypy on the node (pinned in pyproject's test extras); `make test`
# runs them too.
lint: venv tools
	bash scripts/lint.sh

# Debian's Chromium, for the dashboard test (headless).
browser:
	bash scripts/install-browser.sh

bootstrap: tools venv core contracts

tools: $(TOOLS)/.installed lib/forge-std
$(TOOLS)/.installed: tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund
	touch $@
lib/forge-std: $(TOOLS)/.installed
	mkdir -p lib
	ln -sfn ../$(TOOLS)/@layerzerolabs/toolbox-foundry/lib/forge-std lib/forge-std
	ln -sfn ../$(TOOLS)/@layerzerolabs/toolbox-foundry/lib/ds-test lib/ds-test
	ln -sfn ../$(TOOLS)/@openzeppelin lib/openzeppelin

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]' maturin
	touch $@

# The extension is built in a target directory of this checkout's own (keyed by its path): in a
# shared one, another checkout's build of the same crate leaves its library where maturin copies
# from, and cargo, finding this checkout's build fresh, would not replace it.
CORE_TARGET := $(CLOBNODE_CACHE)/target-py-$(shell printf '%s' "$(CURDIR)" | sha1sum | cut -c1-12)
core: venv
	mkdir -p $(CLOBNODE_CACHE)
	CARGO_TARGET_DIR=$(CORE_TARGET) $(VENV)/bin/maturin develop --release -q -m guest-programs/python/Cargo.toml

contracts: tools
	forge build

# zkVM: the SP1 and ZisK guest ELFs (build/elf/) with a private rustc-web toolchain, and the SP1
# host (sp1-sdk). Cold: ~40 min on 2 cores; warm: seconds (caches under CLOBNODE_CACHE).
zkvm:
	mkdir -p $(CLOBNODE_CACHE)
	flock $(CLOBNODE_CACHE)/zkvm.lock bash -c 'bash scripts/build-guests.sh all && bash scripts/build-sp1-host.sh'

clean:
	rm -rf out cache lib $(VENV)
