# etcd-sim: `make run` starts a simulated cluster and the playground,
# `make test` runs every test. `make setup-run` installs what running needs,
# `make setup-test` what testing needs besides.

SHELL := /bin/bash
.DELETE_ON_ERROR:

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
RAW_WASM := $(TARGET_DIR)/wasm32-unknown-unknown/release/etcd_sim.wasm
PKG_WASM := pkg/wasm/etcd_sim_bg.wasm
WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
NPM_STAMP := node_modules/.package-lock.json
TESTS := cargo swarm clippy fmt jsfmt node conformance browser differential

SEEDS ?= 1000

# Debian packages for the tests; apt needs root (sudo when not root).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
apt_install = { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(1); }

.PHONY: setup setup-run setup-test build run test swarm bench $(addprefix test-,$(TESTS))

# Idempotent: each step checks first and is skipped when already done.
# What building and running need: no root, no browser.
setup-run: $(NPM_STAMP)
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
		|| rustup target add wasm32-unknown-unknown
	@[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] \
		|| cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# What the tests need besides: clippy, rustfmt, Chromium (browser test) and
# pip (the differential test downloads etcd 3.5.1 from PyPI).
setup-test: setup-run
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@[ -x /usr/bin/chromium ] || $(call apt_install,chromium)
	@python3 -m pip --version >/dev/null 2>&1 || $(call apt_install,python3-pip)

setup: setup-test

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

# The npm package in pkg/: wasm-bindgen output in pkg/wasm, the playground in pkg/www.
build: $(PKG_WASM)
	@rm -rf pkg/www && cp -r www pkg/www

# cargo rustc, not cargo build: with crate-type cdylib+rlib the latter drops LTO.
$(RAW_WASM): Cargo.toml Cargo.lock $(shell find src -name '*.rs')
	cargo rustc -p etcd-sim --lib --release --target wasm32-unknown-unknown --crate-type cdylib

$(PKG_WASM): $(RAW_WASM) $(NPM_STAMP) tools/inline-snippets.mjs
	rm -rf pkg/wasm/snippets
	wasm-bindgen --target web --out-dir pkg/wasm --out-name etcd_sim $(RAW_WASM)
	node tools/inline-snippets.mjs pkg/wasm/etcd_sim.js
	# --converge repeats -Oz while it still shrinks; the stripped sections are metadata only
	node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers $@ -o $@

run: setup-run build
	node pkg/bin/etcd-sim.mjs

# Runs every suite, even after a failure, and names the failed ones at the end.
test: setup-test build
	@failed=""; \
	for t in $(TESTS); do $(MAKE) --no-print-directory test-$$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed"; exit 1; fi; \
	echo "make test: all suites passed"

test-cargo:
	cargo test

# A few hundred swarm seeds, optimized (`make swarm SEEDS=N` for more).
test-swarm:
	SWARM_SEEDS=300 cargo test --release --test swarm -- --nocapture

test-clippy:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace

test-fmt:
	cargo fmt --check

test-jsfmt: $(NPM_STAMP)
	node_modules/.bin/prettier --check .

test-node:
	node --test tests/js/

# The scenarios of tests/conformance/passing.txt against the Node server on
# free ports (tests/conformance/replay_node.rs). Needs `make build`.
test-conformance:
	cargo run --example conformance_node

test-browser:
	node --test tests/browser/

# Same random op sequences to a real etcd 3.5.1 cluster and to the simulator
# (tests/differential/). Builds nothing: run `make build` first. Last line:
# `N passed, N failed` counting sequences. ARGS=... passes options to diff.py.
test-differential:
	tests/differential/run.sh $(ARGS)

# More swarm seeds than `make test` runs (release build): make swarm SEEDS=5000
swarm:
	SWARM_SEEDS=$(SEEDS) cargo test --release --test swarm -- --nocapture

# Every figure of issue 10's table beside its anchors (a real etcd 3.5.1, a
# no-op interceptor, the payload), measured in one run of about 4 minutes,
# then the native benches (benches/bench.mjs). Prints; fails only when a
# figure cannot be measured. `make bench LONG_PUTS=1000000` for a longer long run.
LONG_PUTS ?= 200000
bench: setup-test build
	node benches/bench.mjs --long-puts $(LONG_PUTS)
