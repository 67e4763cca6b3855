# The two commands: `make run` and `make test`. Both install what is missing.
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
NPM ?= npm
ADDR ?= 127.0.0.1:8080
DATA ?= data

.PHONY: run test build ui ui-test e2e measure-ui measure-pyodide measure-wasm deps deps-test services bench bench-queue fuzz lint clean

run: deps web/dist/index.html build
	./bin/runblock serve --addr $(ADDR) --data-dir $(DATA) --allow-anonymous

# The binary embeds whatever web/dist holds: without a UI build it still
# works and its pages say "UI not built: run make ui".
build:
	$(GO) build -o bin/runblock ./cmd/runblock

deps:
	@scripts/setup.sh run

deps-test:
	@scripts/setup.sh test

# The learner's page (web/, React + Vite) built into web/dist.
# npm ci only when node_modules is missing or older than the lock file.
UI_SRC := $(shell find web -path web/node_modules -prune -o -path web/dist -prune -o \
	-path web/test-results -prune -o -path web/e2e -prune -o -type f -print 2>/dev/null)

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && $(NPM) ci --no-audit --no-fund
	@touch $@

ui: web/node_modules/.package-lock.json
	cd web && $(NPM) run build

# The page is rebuilt only when a source changed since the last build.
web/dist/index.html: web/node_modules/.package-lock.json $(UI_SRC)
	cd web && $(NPM) run build

ui-test: web/node_modules/.package-lock.json
	cd web && $(NPM) test

# End-to-end tests in headless Debian Chromium against bin/runblock.
e2e: web/node_modules/.package-lock.json
	cd web && $(NPM) run e2e

# Real Redis and Postgres on loopback, started when they are not running.
services: deps-test
	@scripts/ensure-redis.sh
	@scripts/ensure-postgres.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Sequential on purpose: the binary must embed this UI build, and the
# end-to-end tests start that binary.
test: services
	$(MAKE) ui
	$(MAKE) build
	$(MAKE) lint
	$(GO) test -race -count=1 ./...
	$(MAKE) ui-test
	$(MAKE) e2e

# The page's numbers (bundle size, time to interactive, first output, stop).
measure-ui: deps-test web/dist/index.html build
	cd web && $(NPM) run measure

measure-pyodide: deps-test web/dist/index.html build
	cd web && $(NPM) run measure-pyodide

# C in the browser through the wasm environment (first run, later runs, Stop).
measure-wasm: deps-test web/dist/index.html build
	cd web && $(NPM) run measure-wasm

# Short fuzzing of every parser; `make fuzz FUZZTIME=5m` for longer.
FUZZTIME ?= 15s
FUZZERS = \
	./internal/sandbox/:FuzzOutputCap \
	./internal/sandbox/figure/:FuzzParseFrame \
	./internal/httpapi/:FuzzExecuteRequest \
	./internal/httpapi/:FuzzValidateEndpoint \
	./internal/validate/:FuzzParseCheckerOutput \
	./internal/validate/:FuzzParseGCCDiagnostics \
	./internal/lang/:FuzzParse \
	./internal/content/:FuzzParseInfo \
	./internal/content/:FuzzParseLesson \
	./internal/content/:FuzzRenderLesson \
	./internal/wasm/:FuzzParseDiagnostics \
	./internal/exercise/:FuzzFrameFilter \
	./internal/exercise/:FuzzParseTestsLesson \
	./internal/sandbox/container/:FuzzTrailerWriter
fuzz:
	@set -e; for f in $(FUZZERS); do \
		pkg=$${f%%:*}; name=$${f##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

bench: deps services build
	$(GO) run ./bench -bin ./bin/runblock

# A classroom pressing Run at once: 64 learners x 30 runs of a mixed lesson
# against the fair queue (takes minutes; -clients/-runs to shorten).
bench-queue: deps build
	$(GO) run ./bench/queue -bin ./bin/runblock

clean:
	rm -rf bin
	find web/dist -mindepth 1 ! -name .keep -delete 2>/dev/null || true
