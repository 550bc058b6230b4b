package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A program stopped by a stop signal stays stopped until a SIGCONT that
// comes from outside the recorded tree (as from a shell's fg), and the
// recording replays.
func TestRecordStopContinuedFromOutside(t *testing.T) {
	for _, mode := range bufferModes {
		t.Run(mode.name, func(t *testing.T) {
			work := t.TempDir()
			pidFile := filepath.Join(work, "pid")
			trace := filepath.Join(work, "trace")
			script := `echo $$ > ` + pidFile + `; kill -STOP $$; echo resumed`
			done := make(chan Result, 1)
			go func() { done <- recordFlags(t, work, nil, nil, trace, mode.flags, "sh", "-c", script) }()
			pid := waitForPid(t, pidFile)
			time.Sleep(300 * time.Millisecond)
			select {
			case r := <-done:
				t.Fatalf("the recording ended while the program was stopped:\n%s", r)
			default:
			}
			sent := time.Now()
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			rec := <-done
			if rec.Code != 0 || string(rec.Stdout) != "resumed\n" {
				t.Fatalf("recording: %s", rec)
			}
			if took := time.Since(sent); took > 2*time.Second {
				t.Errorf("the program went on %v after SIGCONT", took)
			}
			checkReplay(t, 0, trace, rec)
		})
	}
}

// waitForPid reads the pid a program writes to file.
func waitForPid(t *testing.T, file string) int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %q", file, b)
		}
		return pid
	}
	t.Fatalf("the program did not write %s", file)
	return 0
}
