package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A multi-threaded program that signals its threads, recorded and replayed
// many times in a row (chaos scheduling: every recording interleaves its
// own way): every replay reproduces its recording, and rewind leaves no
// process or file descriptor behind.
func TestSoakThreadsSignals(t *testing.T) {
	requireSoak(t)
	Require(t, "ptrace")
	prog := buildConc(t, "pthread_kill")
	n := soakIterations(50)
	fdsBefore, procsBefore := openFDs(t), countProcs(t)
	for i := 0; i < n; i++ {
		trace := filepath.Join(t.TempDir(), "trace")
		rec := concRun(t, t.TempDir(), Rewind(t), "record", "-q", chaosFlag, "-o", trace, "--", prog)
		if rec.Code != 0 {
			t.Fatalf("recording %d: %s", i, rec)
		}
		concReplay(t, "soak recording", trace, rec)
	}
	if fds := openFDs(t); fds > fdsBefore {
		t.Errorf("the test process has %d open descriptors, %d before", fds, fdsBefore)
	}
	if procs := countProcs(t); procs > procsBefore {
		t.Errorf("%d processes now, %d before %d recordings and replays", procs, procsBefore, n)
	}
	t.Logf("%d recordings and replays of pthread_kill under --chaos, all identical", n)
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// countProcs counts the processes running the fixture (recorded or
// replayed tracees left behind would show here).
func countProcs(t *testing.T) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err == nil && strings.Contains(string(stat), "pthread_kill") {
			n++
		}
	}
	return n
}
