# Regulars: everyday commands. `make run` serves on SQLite; `make test` runs
# the whole suite (PostgreSQL half included when the local server answers).

GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export TEST_DATABASE_URL

.PHONY: run build test generate fmt lint bench seed clean

run: ## serve on :8080 with ./data/regulars.db (or DATABASE_URL)
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/regulars

build: ## one static binary with assets and migrations embedded
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/regulars ./cmd/regulars

# Test binaries note there whether their PostgreSQL half and browser tests
# ran (models/dbtest.Report); make test sums it up at the end.
TEST_REPORT_DIR ?= $(CURDIR)/.test-report
export TEST_REPORT_DIR

test: ## the whole suite, with the race detector; then the 100,000-row imports and every rollup property seed without it; then what ran
	@rm -rf "$(TEST_REPORT_DIR)" && mkdir -p "$(TEST_REPORT_DIR)"
	@status=0; \
	$(GO) test -race -count=1 -timeout 40m ./... || status=$$?; \
	$(GO) test -count=1 -run 'TestImportOf100000Members|TestImportOf100000Purchases|TestRollupsEqualRawRowsOnRandomHistories' ./models/ || status=$$?; \
	sh .ci/test-summary.sh "$(TEST_REPORT_DIR)"; \
	exit $$status

generate: ## regenerate templ components
	$(GO) tool templ generate

fmt: ## format Go and templ sources
	$(GO) tool templ fmt views
	gofmt -w $$(git ls-files '*.go')

lint: ## vet, gofmt check, generated files matching their .templ sources, and handlers' cyclomatic complexity
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) tool templ generate
	@git diff --exit-code -- '*_templ.go' || (echo "generated templ files differ from their sources: run make generate and commit"; exit 1)
	@out=$$($(GO) tool gocyclo -over 15 -ignore _test handlers); if [ -n "$$out" ]; then echo "handler functions over cyclomatic complexity 15 (split them):"; echo "$$out"; exit 1; fi

BENCH_PG        ?= postgres://postgres@127.0.0.1:5432
BENCH_DB        ?= regulars_bench
BENCH_MEMBERS   ?= 1000000
BENCH_ENTRIES   ?= 10
BENCH_URL       := $(BENCH_PG)/$(BENCH_DB)?sslmode=disable

# The seed leaves an audit entry naming its version and size (models/seed.go,
# seedMarker); a database without this one is dropped and seeded afresh.
SEED_VERSION    := $(shell sed -n 's/^const seedVersion = \([0-9]*\).*/\1/p' models/seed.go)
SEED_MARK       := Seed v$(SEED_VERSION): $(BENCH_MEMBERS) members, $(BENCH_ENTRIES) entries each

bench: ## seed PostgreSQL when the seed changed (1M members, 10M entries, two years), then run every benchmark
	@if [ "$$(psql "$(BENCH_URL)" -Atc "SELECT count(*) FROM audit_entries WHERE summary = '$(SEED_MARK)'" 2>/dev/null)" != "1" ]; then \
		echo "seeding $(BENCH_DB): $(SEED_MARK)"; \
		psql "$(BENCH_PG)/postgres" -qc 'DROP DATABASE IF EXISTS $(BENCH_DB) WITH (FORCE)' && \
		psql "$(BENCH_PG)/postgres" -qc 'CREATE DATABASE $(BENCH_DB)' && \
		DATABASE_URL="$(BENCH_URL)" $(GO) run ./cmd/regulars seed --members $(BENCH_MEMBERS) --entries $(BENCH_ENTRIES) || exit 1; \
	fi
	$(GO) test -run '^$$' -bench . -skip 'Scale|PurchaseThroughput' -benchmem ./...
	BENCH_DATABASE_URL="$(BENCH_URL)" $(GO) test -run '^$$' -bench Scale -benchtime 1x -timeout 60m ./models/ ./handlers/
	BENCH_DATABASE_URL="$(BENCH_URL)" BENCH_TP_SOAK_SECONDS=300 $(GO) test -run '^$$' -bench PurchaseThroughput -benchtime 1x -timeout 30m ./handlers/

clean:
	rm -rf bin
