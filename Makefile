# Kansoku: `make demo` runs the whole thing on sample data, `make test` runs every test.
# Both install what a fresh Debian machine lacks (as root, or through sudo).

SWIFT      ?= swift
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_BUILD  := libzstd-dev libre2-dev zlib1g-dev pkg-config
APT_TEST   := zstd ripgrep tmux prometheus prometheus-alertmanager python3-pip fiu-utils victoria-metrics
PY_TEST    := python-logging-loki prometheus-client prometheus-api-client websocket-client \
              opentelemetry-sdk opentelemetry-exporter-otlp-proto-http 'moto[server]'
RELEASE    := .build/release

.PHONY: all build release demo test test-fast deps test-deps bench clean fuzz fuzz-build fuzz-seeds fuzz-smoke fuzz-replay

all: build

# Installs only the packages that are missing, so repeated runs stay fast and offline.
deps:
	@missing=$$(for p in $(APT_BUILD); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

test-deps: deps
	@missing=$$(for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@python3 -c 'import logging_loki, prometheus_client, prometheus_api_client, websocket, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, moto.server, botocore' 2>/dev/null || \
		python3 -m pip install -q $(PY_TEST) 2>/dev/null || \
		python3 -m pip install -q --break-system-packages $(PY_TEST)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product kansoku

# Starts a server with embedded defaults, a simulated service with incidents, and the dashboard.
demo: release
	$(RELEASE)/kansoku demo

# Every test: unit and conformance tests in parallel, then the end-to-end, crash and interop
# tests (real binary, real peers on loopback) one at a time, since they time real processes.
test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip KansokuEndToEndTests
	$(MAKE) --no-print-directory fuzz-replay
	$(SWIFT) test --skip-build --no-parallel --filter KansokuEndToEndTests

# The unit tests only (no end-to-end target).
test-fast: deps
	$(SWIFT) test --skip KansokuEndToEndTests

bench: deps
	$(SWIFT) build -c release

# Fuzzing (Fuzz/README.md). Fuzz builds have their own scratch path; the seed corpus comes
# from Fuzz/Seeds plus, when present, the shared conformance data.
FUZZ_TARGETS := promql logql exposition push template yaml keys
FUZZ_SECONDS ?= 600
FUZZ_DIR     := .build-fuzz
FUZZ_SHARED  ?= ../shared/conformance
FUZZ_FLAGS   := -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

fuzz-build: deps
	@for t in $(FUZZ_TARGETS); do \
		$(SWIFT) build --scratch-path $(FUZZ_DIR) $(FUZZ_FLAGS) --product fuzz-$$t || exit 1; \
	done

fuzz-seeds:
	@python3 Fuzz/corpus.py "$$([ -d $(FUZZ_SHARED) ] && echo $(FUZZ_SHARED))" $(FUZZ_DIR)/seeds

# Every target for FUZZ_SECONDS, one after another; prints executions, coverage and findings.
fuzz: fuzz-build fuzz-seeds
	FUZZ_DIR=$(FUZZ_DIR) Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build fuzz-seeds
	FUZZ_DIR=$(FUZZ_DIR) Fuzz/run.sh 20 $(FUZZ_TARGETS)

# The seeds and every saved crash input through each target, without libFuzzer (plain build).
fuzz-replay: deps
	$(SWIFT) build
	@for t in $(FUZZ_TARGETS); do \
		printf 'fuzz-%s: ' $$t; .build/debug/fuzz-$$t Fuzz/Seeds/$$t Fuzz/Crashes/$$t || exit 1; \
	done

clean:
	rm -rf .build
