.PHONY: bench bench-quick run test test-distributed build deps test-deps typecheck

deps:
	@scripts/install-deps.sh run

test-deps:
	@scripts/install-deps.sh test

build: deps
	npm run --silent build

## Starts the service on the embedded defaults (port 3000, SQLite and files under ./data).
run: build
	scripts/run-service.sh

# The suite with every service on PostgreSQL, S3 (s3rver) and Redis, which the tests start on
# loopback ports of their own and stop afterwards. The load test stays on the embedded pass: its
# 20-second RSS bound is within GC noise of what the S3 and PostgreSQL clients add (a 60-second
# run on these backends ends below its warm-up RSS). So do the tests of one format's cleaner
# (remove-*, pdf-*, refuse-*: two thirds of the suite's time): a cleaner works on a temp file
# before the store step, which every type shares, so on these backends they would only repeat
# what remove-formats (every type through PostgreSQL and S3) and remove-route prove.
FORMAT_TESTS = $(filter-out test/remove-formats.test.ts test/remove-route.test.ts,$(wildcard test/remove-*.test.ts)) \
	$(wildcard test/pdf-*.test.ts test/refuse-*.test.ts)
# Nor do the hostile-input tests (hostile-*, bombs, concurrent-pdf-objects and the fuzz run, a
# third of this pass's time): what they prove (the isolation boundary, budgets, deadlines, no temp
# file left) happens before the store step, and big-file-memory keeps the memory bound on these
# backends. The CLI tests start no service: on these backends they would run exactly as before.
BOUNDARY_TESTS = $(wildcard test/hostile-*.test.ts test/cli-*.test.ts) test/bombs.test.ts test/concurrent-pdf-objects.test.ts test/fuzz.test.ts
DISTRIBUTED_TESTS = $(filter-out test/load.test.ts $(FORMAT_TESTS) $(BOUNDARY_TESTS),$(wildcard test/*.test.ts))
DISTRIBUTED_PASS = EXIFAPI_TEST_BACKENDS=distributed npx vitest run $(DISTRIBUTED_TESTS)

## Installs everything, then runs the whole test suite on the embedded defaults, then again on
## the distributed backends, all but the tests of one format's cleaner (see DISTRIBUTED_TESTS). Its fuzz test replays a fixed
## seed (one that ran clean for 120 s), so CI is repeatable; `make fuzz` explores fresh seeds.
test: export FUZZ_SEED ?= 495680015
test: test-deps
	npm run --silent build
	npm run --silent typecheck
	npx vitest run
	$(DISTRIBUTED_PASS)

## Only the second pass of `make test`: the suite on PostgreSQL, S3 and Redis, but for one format's cleaner tests.
test-distributed: test-deps
	npm run --silent build
	$(DISTRIBUTED_PASS)

## Mutates valid files of every type against both endpoints for FUZZ_SECONDS (default 600);
## FUZZ_SEED=N replays a run.
fuzz: test-deps
	npm run --silent build
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} npx vitest run test/fuzz.test.ts

## Parallel clients mixing extract, remove, get and download for SOAK_SECONDS (default 600);
## prints requests served, errors by status, RSS and fd counts.
soak: test-deps
	npm run --silent build
	LOAD_SECONDS=$${SOAK_SECONDS:-600} npx vitest run test/load.test.ts

## Benchmarks exifapi against raw ExifTool -stay_open, a spawn-per-request wrapper, exiftool -all=
## and mat2, in one run (about 25 minutes); writes bench/results.md. See bench/README.md.
bench: test-deps
	npm run --silent build
	node bench/run.mjs

## A ~60-second subset of `make bench` for development; writes bench/tmp/results-quick.md.
bench-quick: test-deps
	npm run --silent build
	node bench/run.mjs --quick
