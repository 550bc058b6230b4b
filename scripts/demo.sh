#!/bin/sh
# make demo: record the bundled program, then replay it and show that the
# replay is the recorded run.
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

say "rewind replay -a: the recorded run, again, three times"
for i in 1 2 3; do bin/rewind replay -a "$out/trace" | tee "$out/replayed.txt"
	cmp -s "$out/recorded.txt" "$out/replayed.txt" || { echo "replay $i differs from the recording"; exit 1; }
done

say "rewind info"
bin/rewind info "$out/trace"
say "the first events (rewind dump)"
bin/rewind dump "$out/trace" | head -12
printf '\nIdentical output on every replay: the replay is the recorded run.\n'
