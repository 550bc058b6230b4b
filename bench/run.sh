#!/bin/sh
# make bench: native vs recorded vs replayed, medians of 5, in one run.
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench "$@"
