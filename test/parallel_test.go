package test

import (
	"path/filepath"
	"runtime"
	"testing"

	"rewind/trace"
)

// TestParallelProcesses records two processes that compute at the same
// time. By default they run side by side, each pinned to a CPU of its own:
// neither is preempted (no other thread shares its memory), and replay
// runs each on its CPU again (the APIC id they print from CPUID differs
// by CPU). With --serial one thread runs at a time, so they take turns:
// preemptions.
func TestParallelProcesses(t *testing.T) {
	Require(t, "ptrace")
	prog := Build(t, "spin_children")
	for _, c := range []struct {
		name     string
		flags    []string
		parallel bool
	}{
		{"parallel", nil, true},
		{"parallel nobuffer", []string{"--no-syscall-buffer"}, true},
		{"serial", []string{"--serial"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			dir := filepath.Join(t.TempDir(), "trace")
			rec := recordFlags(t, work, nil, nil, dir, append([]string{"-q"}, c.flags...), prog, "100000000")
			if rec.Code != 0 {
				t.Fatalf("recording failed: %s", rec)
			}
			cpus, preemptions := execCPUs(t, dir)
			if len(cpus) != 3 {
				t.Fatalf("%d exec frames, want 3 (the program and its two copies)", len(cpus))
			}
			switch {
			case !c.parallel:
				if preemptions == 0 {
					t.Error("no preemptions: the two copies did not take turns")
				}
				if cpus[1] != cpus[0] || cpus[2] != cpus[0] {
					t.Errorf("processes on CPUs %v, want all on one", cpus)
				}
			case runtime.NumCPU() < 2:
				t.Logf("one CPU here: the copies cannot run on two (CPUs %v)", cpus)
			default:
				if preemptions != 0 {
					t.Errorf("%d preemptions: the two copies took turns", preemptions)
				}
				if cpus[1] == cpus[2] {
					t.Errorf("both copies ran on CPU %d, want two CPUs", cpus[1])
				}
			}
			for i := 1; i <= 2; i++ {
				checkReplay(t, i, dir, rec)
			}
		})
	}
}

// execCPUs lists the CPU of each exec frame of a recording, and counts its
// preemptions.
func execCPUs(t *testing.T, dir string) (cpus []int32, preemptions int) {
	t.Helper()
	eachFrame(t, dir, func(_ int, f *trace.Frame) {
		switch f.Kind {
		case trace.KindExec:
			cpus = append(cpus, f.CPU)
		case trace.KindPreempt:
			preemptions++
		}
	})
	return cpus, preemptions
}
