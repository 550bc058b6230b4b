#!/bin/sh
# make bench: every workload native, recorded (with and without the syscall
# buffer) and replayed, medians of 5, in one run; flags go to ./bench
# (see bench/README.md), e.g. bench/run.sh -n 3 -markdown.
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench "$@"
