# rewind: record once, replay exactly, debug backwards.
GO ?= go
BIN := bin/rewind

.PHONY: all build setup test demo bench fuzz clean

all: build

setup:
	@./scripts/setup.sh

build:
	$(GO) build -o $(BIN) ./cmd/rewind

# Records the bundled demo program and replays it.
demo: setup build
	@./scripts/demo.sh

# Installs what is missing, then runs every test.
test:
	@./scripts/setup.sh test
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) test -count=1 -timeout 20m ./...

bench: setup build
	@./bench/run.sh

clean:
	rm -rf bin
