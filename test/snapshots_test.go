package test

import (
	"path/filepath"
	"testing"

	"rewind/replayer"
)

// Going forward through a long recording and then back, the number of
// live snapshot processes stays bounded (16 automatic ones, 4 where the
// client navigates), however long the recording.
func TestSnapshotsBounded(t *testing.T) {
	Require(t, "ptrace")
	// Without the syscall buffer: over 10,000 events (with it, 64).
	trace := filepath.Join(t.TempDir(), "trace")
	if r := Run(t, "", nil, Rewind(t), "record", "-q", "--no-syscall-buffer", "-o", trace, Build(t, "syscalls"), "5000"); r.Code != 0 {
		t.Fatalf("record: %s", r)
	}
	tg, err := replayer.NewTarget(trace, replayer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	tg.Session(func(s *replayer.Session) {
		if _, err := s.Continue(); err != nil {
			t.Fatalf("forward to the end: %v", err)
		}
		if n := s.Snapshots(); n < 2 || n > 16 {
			t.Errorf("%d snapshots at the end of %d events, want 2..16", n, s.Frame())
		}
		for i := 0; i < 40; i++ {
			if _, err := s.ReverseStep(); err != nil {
				t.Fatalf("reverse-stepi %d: %v", i, err)
			}
		}
		if n := s.Snapshots(); n > 20 {
			t.Errorf("%d snapshots after 40 reverse steps, want at most 20", n)
		}
		t.Logf("%d events, %d snapshots live", s.Frame(), s.Snapshots())
	})
}
