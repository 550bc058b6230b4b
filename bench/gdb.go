package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// gdb's record full single-steps every instruction, about 10⁵ times slower
// than native, so it gets the C loops with small counts, and rewind is
// measured again on the same counts.
var gdbLoops = []struct{ name, src, arg string }{
	{"syscall-heavy C loop (syscalls 2000)", "syscalls.c", "2000"},
	{"CPU-bound C loop (cpuloop 20000)", "cpuloop.c", "20000"},
}

const gdbTimeout = 3 * time.Minute

// noAVX makes glibc pick its SSE2 string and memory functions: gdb 13
// cannot record the AVX2 and AVX-512 ones that it picks on current CPUs.
const noAVX = "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-AVX512F,-AVX512VL,-AVX_Fast_Unaligned_Load"

const gdbLegend = `
gdb: gdb -batch, break main, run, record full (insn-number-max unlimited),
continue to the exit; its time includes gdb's own start-up.
`

func (b *bench) gdbTable(only *regexp.Regexp) *table {
	t := &table{header: []string{"workload", "native", "rewind record", "x", "gdb record full", "x", "notes"}}
	for i, l := range gdbLoops {
		if !only.MatchString(l.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: gdb: %s\n", l.name)
		t.add(b.gdbRow(i, l.name, l.src, l.arg)...)
	}
	return t
}

func (b *bench) gdbRow(i int, name, src, arg string) []string {
	dir := filepath.Join(b.work, fmt.Sprint("gdb", i))
	defer os.RemoveAll(dir)
	j, err := prepareIn(dir, b.root, workload{name: name, prepare: cLoop(src, arg)})
	if err != nil {
		return []string{name, "failed", "-", "-", "-", "-", err.Error()}
	}
	timeout := min(b.timeout, gdbTimeout)
	exe := func(env []string, argv ...string) func() sample {
		return func() sample { return runTimed(dir, env, argv, timeout) }
	}
	trace := filepath.Join(dir, "trace")
	s := interleave(b.runs, step{nil, exe(nil, j.argv...)}, step{func() error { return os.RemoveAll(trace) },
		exe(nil, append([]string{b.rewind, "record", "-q", "-o", trace, "--"}, j.argv...)...)})
	native, rec := s[0], s[1]
	if native.err != nil {
		return []string{name, "failed", "-", "-", "-", "-", "native: " + native.err.Error()}
	}
	gdb, note := b.gdbRecordFull(dir, j.argv, timeout)
	var notes []string
	cell := func(mode string, s *series) (string, string) {
		if s.err != nil {
			notes = append(notes, mode+": "+s.err.Error())
			return "failed", "-"
		}
		return fmtDur(s.median), fmtRatio(ratio(s.median, native.median))
	}
	recT, recX := cell("rewind", rec)
	gdbT, gdbX := cell("gdb", gdb)
	if note != "" {
		notes = append(notes, note)
	}
	return []string{name, fmtDur(native.median), recT, recX, gdbT, gdbX, strings.Join(notes, "; ")}
}

// gdbRecordFull times gdb's record full from main to the exit. Where gdb
// cannot record an instruction of the host's libc, it says so and measures
// again with those variants of libc turned off.
func (b *bench) gdbRecordFull(dir string, argv []string, timeout time.Duration) (*series, string) {
	gdbArgv := append([]string{"gdb", "-nx", "-batch", "-ex", "break main", "-ex", "run",
		"-ex", "record full", "-ex", "set record full insn-number-max unlimited", "-ex", "continue", "--args"}, argv...)
	gdb := func(env []string) func() sample {
		return func() sample {
			s := runTimed(dir, env, gdbArgv, timeout)
			if s.err == nil {
				s.err = gdbRecorded(s.out)
			}
			return s
		}
	}
	s := measure(b.runs, nil, gdb(nil))
	if s.err == nil || !strings.Contains(s.err.Error(), "does not support instruction") {
		return s, ""
	}
	note := "host's libc: " + errors.Unwrap(s.err).Error() + "; measured with " + noAVX
	return measure(b.runs, nil, gdb([]string{noAVX})), note
}

// gdbRecorded tells whether gdb recorded up to the program's exit (gdb
// -batch exits 0 either way): at exit_group record full asks whether to
// stop.
func gdbRecorded(out string) error {
	if strings.Contains(out, "syscall exit_group") {
		return nil
	}
	var unsupported string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Process record does not support") {
			unsupported = strings.TrimSuffix(strings.TrimSpace(line), ".")
		}
	}
	if unsupported != "" {
		return errors.New(unsupported)
	}
	return errors.New("gdb stopped before the program's exit")
}
