#!/bin/sh
# make demo: record the bundled program, replay it exactly, then debug the
# replay backwards under gdb.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/rewind-demo.XXXXXX)
trap 'rm -rf "$out"' EXIT
gcc -g -O0 -o "$out/demo" test/programs/demo.c

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "native runs differ (a random fee makes one deposit wrong):"
"$out/demo"; "$out/demo"

say "rewind record $out/demo"
bin/rewind record -o "$out/trace" "$out/demo" | tee "$out/recorded.txt"

say "rewind replay -a: the recorded run, again, twice"
for i in 1 2; do bin/rewind replay -a "$out/trace" | tee "$out/replayed.txt"
	cmp -s "$out/recorded.txt" "$out/replayed.txt" || { echo "replay $i differs from the recording"; exit 1; }
done

say "rewind replay under gdb, going backwards (scripts/demo.gdb)"
bin/rewind replay "$out/trace" -- -q -batch -nx -x scripts/demo.gdb 2>&1 | grep -v '^rewind: gdbserver'
printf '\nThe replay is the recorded run: same output, same bug, found by running backwards.\n'
