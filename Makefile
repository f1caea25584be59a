.PHONY: run test build deps test-deps typecheck

deps:
	@scripts/install-deps.sh run

test-deps:
	@scripts/install-deps.sh test

build: deps
	npm run --silent build

## Starts the service on the embedded defaults (port 3000, SQLite and files under ./data).
run: build
	node bin/exifapi serve

## Installs everything, then runs the whole test suite.
test: test-deps
	npm run --silent build
	npx vitest run
