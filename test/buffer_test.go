package test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSyscallBufferBypassed records a static binary, which does not load
// the syscall buffer library: it must record (every call traced) and
// replay exactly, with the buffer on. (The fixture bypass.c covers the
// other ways around the buffer, in TestRecordReplayFixtures.)
func TestSyscallBufferBypassed(t *testing.T) {
	Require(t, "ptrace")
	for _, c := range []struct {
		name, prog string
		want       []string
	}{
		{"static", Build(t, "files", "-static"), []string{"after unlink: 0 entries:\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			rec := record(t, t.TempDir(), nil, nil, trace, c.prog)
			if rec.Code != 0 {
				t.Fatalf("record: %s", rec)
			}
			for _, w := range c.want {
				if !strings.Contains(string(rec.Stdout), w) {
					t.Errorf("the recording printed %q, want %q in it", rec.Stdout, w)
				}
			}
			for i := 1; i <= 2; i++ {
				checkReplay(t, i, trace, rec)
			}
		})
	}
}

// TestSyscallBufferRelativeTrace records, into a trace named by a relative
// path, a shell that changes directory before it runs a child: the child
// must still find the syscall buffer library (ld.so would complain on
// stderr) and the recording replay exactly.
func TestSyscallBufferRelativeTrace(t *testing.T) {
	Require(t, "ptrace")
	work := t.TempDir()
	rec := Run(t, work, nil, Rewind(t), "record", "-q", "-o", "trace", "sh", "-c", "cd / && /bin/ls -d /tmp && echo done")
	if rec.Code != 0 || string(rec.Stdout) != "/tmp\ndone\n" || len(programStderr(rec.Stderr)) != 0 {
		t.Fatalf("record: %s", rec)
	}
	checkReplay(t, 1, filepath.Join(work, "trace"), rec)
}
