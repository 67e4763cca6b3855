# The two commands: `make run` and `make test`. Both install what is missing.
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA ?= data

.PHONY: run test build deps deps-test services bench fuzz lint clean

run: deps build
	./bin/runblock serve --addr $(ADDR) --data-dir $(DATA) --allow-anonymous

build:
	$(GO) build -o bin/runblock ./cmd/runblock

deps:
	@scripts/setup.sh run

deps-test:
	@scripts/setup.sh test

# Real Redis and Postgres on loopback, started when they are not running.
services: deps-test
	@scripts/ensure-redis.sh
	@scripts/ensure-postgres.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: services build lint
	$(GO) test -race -count=1 ./...

# Short fuzzing of every parser; `make fuzz FUZZTIME=5m` for longer.
FUZZTIME ?= 15s
FUZZERS = \
	./internal/sandbox/:FuzzOutputCap \
	./internal/httpapi/:FuzzExecuteRequest \
	./internal/httpapi/:FuzzValidateEndpoint \
	./internal/validate/:FuzzParseCheckerOutput \
	./internal/validate/:FuzzParseGCCDiagnostics \
	./internal/content/:FuzzParseInfo \
	./internal/content/:FuzzParseLesson
fuzz:
	@set -e; for f in $(FUZZERS); do \
		pkg=$${f%%:*}; name=$${f##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

bench: deps services build
	$(GO) run ./bench -bin ./bin/runblock

clean:
	rm -rf bin
