package main

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"rewind/gdbserver"
	"rewind/replayer"
)

// reverseTable measures time travel on a recording of the syscall loop:
// reverse-continue from the end to a breakpoint hit once near the start,
// against the forward replay of the same span, and reverse-stepi latency
// inside the loop.
func (b *bench) reverseTable() *table {
	fmt.Fprintln(os.Stderr, "bench: time travel")
	bin := filepath.Join(b.work, "syscalls-g")
	run(b.root, "gcc", "-O0", "-g", "-o", bin, filepath.Join("test/programs", "syscalls.c"))
	dir := filepath.Join(b.work, "trace-reverse")
	check(runTimed(b.work, nil, []string{b.rewind, "record", "-q", "-o", dir, bin, "20000"}, b.timeout).err)
	main, loop := symbol(bin, "main"), symbol(bin, "getppid@plt")
	const pie = 0x555555554000
	var fwd, rc, rsi []time.Duration
	var snaps, dirty int
	for i := 0; i < b.runs; i++ {
		t, err := replayer.NewTarget(dir, replayer.Options{})
		check(err)
		// Interrupted at the timeout, so that it cannot hang the benchmark.
		ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
		start := time.Now()
		_, err = t.Resume(ctx, gdbserver.Action{Tid: -1}) // forward to the end
		check(err)
		fwd = append(fwd, time.Since(start))
		check(t.SetBreakpoint(gdbserver.BreakSoftware, pie+main, 1))
		start = time.Now()
		st, err := t.Resume(ctx, gdbserver.Action{Dir: gdbserver.Reverse, Tid: -1})
		check(err)
		rc = append(rc, time.Since(start))
		if st.Kind != gdbserver.StopSWBreak {
			check(fmt.Errorf("reverse-continue stopped with %v, not at main", st.Kind))
		}
		check(t.ClearBreakpoint(gdbserver.BreakSoftware, pie+main, 1))
		// Into the loop, then reverse-stepi there.
		check(t.SetBreakpoint(gdbserver.BreakSoftware, pie+loop, 1))
		for j := 0; j < 100; j++ {
			_, err = t.Resume(ctx, gdbserver.Action{Tid: -1})
			check(err)
		}
		check(t.ClearBreakpoint(gdbserver.BreakSoftware, pie+loop, 1))
		for j := 0; j < 5; j++ {
			start = time.Now()
			_, err = t.Resume(ctx, gdbserver.Action{Dir: gdbserver.Reverse, Step: true, Tid: -1})
			check(err)
			rsi = append(rsi, time.Since(start))
		}
		t.Session(func(s *replayer.Session) {
			snaps = s.Snapshots()
			dirty = 0
			for _, pid := range s.SnapshotPids() {
				dirty += privateDirtyKB(pid)
			}
		})
		if ctx.Err() != nil {
			check(fmt.Errorf("time travel: timed out after %v", b.timeout))
		}
		cancel()
		t.Close()
	}
	t := &table{header: []string{fmt.Sprintf("time travel (syscalls 20000, %d runs)", b.runs), "median"}}
	t.add("forward replay, start to end", fmtDur(med(fwd)))
	t.add("reverse-continue, end to main", fmtDur(med(rc)))
	t.add("ratio (target <= 2x)", fmtRatio(ratio(med(rc), med(fwd))))
	t.add("reverse-stepi in the loop (target <= 50 ms)", fmtDur(med(rsi)))
	t.add("snapshots alive at the end", fmt.Sprint(snaps))
	t.add("their private memory (copy-on-write pages they own)", fmt.Sprintf("%d KiB", dirty))
	return t
}

// privateDirtyKB is the memory only this process holds.
func privateDirtyKB(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	total := 0
	for _, line := range strings.Split(string(data), "\n") {
		var kb int
		if _, err := fmt.Sscanf(line, "Private_Dirty: %d kB", &kb); err == nil {
			total += kb
		}
	}
	return total
}

func med(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func symbol(bin, name string) uint64 {
	f, err := elf.Open(bin)
	check(err)
	defer f.Close()
	syms, err := f.Symbols()
	check(err)
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	if name == "getppid@plt" { // PLT stubs have no symbol: break in main's loop instead
		return symbol(bin, "main") + 0x30
	}
	check(fmt.Errorf("%s: no symbol %s", bin, name))
	return 0
}
