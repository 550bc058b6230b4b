# rewind: record once, replay exactly, debug backwards.
GO ?= go
BIN := bin/rewind

.PHONY: all build setup test demo bench fuzz soak rr-link clean

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

# Fuzzing time per target, and flags for go test -fuzz, for make soak.
FUZZTIME ?= 10m
FUZZFLAGS ?= -fuzzminimizetime 10s
FUZZ_TARGETS := trace:FuzzReader trace:FuzzCheck trace:FuzzDecodeFrame gdbserver:FuzzPacket gdbserver:FuzzDispatch

# The long runs of docs/reliability.md: every fuzz target for FUZZTIME,
# then the tests named *Soak* (skipped unless REWIND_SOAK=1).
soak: build
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "== $$fn ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./$$pkg/ || exit 1; \
	done
	REWIND_SOAK=1 $(GO) test -run Soak -count=1 -timeout 60m -v ./test/

# bin/rr runs rewind as rr, for Delve's rr backend (dlv replay, dlv debug
# --backend=rr, VS Code's Go extension): put bin/ first on PATH.
rr-link: build
	./$(BIN) install-rr-link bin

bench: setup build
	@./bench/run.sh

clean:
	rm -rf bin
