.PHONY: run test test-distributed build deps test-deps typecheck

deps:
	@scripts/install-deps.sh run

test-deps:
	@scripts/install-deps.sh test

build: deps
	npm run --silent build

## Starts the service on the embedded defaults (port 3000, SQLite and files under ./data).
run: build
	node bin/exifapi serve

## Installs everything, then runs the whole test suite twice: on the embedded defaults, then on
## the distributed backends (about four minutes more on two cores).
test: test-deps
	npm run --silent build
	npx vitest run
	EXIFAPI_TEST_BACKENDS=distributed npx vitest run

## The whole suite with every service on PostgreSQL, S3 (s3rver) and Redis, which the tests
## start on loopback ports of their own and stop afterwards.
test-distributed: test-deps
	npm run --silent build
	EXIFAPI_TEST_BACKENDS=distributed npx vitest run
