package gdbserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requireTool finds a client binary; without it the test is skipped,
// except under CI, where nothing may be skipped.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" { // make test installs both (scripts/setup.sh)
			t.Fatalf("%s is not installed (needed under CI): %v", name, err)
		}
		t.Skipf("%s is not installed: %v", name, err)
	}
	return path
}

// realFileTarget serves the files the client asks for from the host, so
// gdb can load a real executable.
type realFileTarget struct{ *fakeTarget }

func (r realFileTarget) OpenFile(path string) (File, error) { return os.Open(path) }

// TestGDB runs the real gdb against the fake target.
func TestGDB(t *testing.T) {
	gdb := requireTool(t, "gdb")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newFake()
	f.exe = "/bin/true"
	var wire strings.Builder
	srv := New(realFileTarget{f}, Options{WireLog: &lockedWriter{w: &wire}})
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ln, false) }()

	bp := f.timeline[5]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, "-batch", "-nx",
		"-ex", "set confirm off",
		"-ex", "target extended-remote "+ln.Addr().String(),
		"-ex", "info registers rip",
		"-ex", fmt.Sprintf("x/4xb %#x", fakeBase+0x10),
		"-ex", "monitor when",
		"-ex", fmt.Sprintf("break *%#x", bp),
		"-ex", "continue",
		"-ex", "info registers rip",
		"-ex", "reverse-continue",
		"-ex", "info registers rip",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("gdb output:\n%s", out)
	if err != nil {
		t.Errorf("gdb: %v", err)
	}
	s := string(out)
	for _, want := range []string{
		"rip            0x400000",
		":\t0x10\t0x11\t0x12\t0x13",
		"Completed event: 0",
		fmt.Sprintf("rip            %#x", bp),
		"No more reverse-execution history",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("gdb output lacks %q", want)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("server did not finish after gdb quit")
	}
	if t.Failed() {
		t.Logf("wire log:\n%s", wire.String())
	}
}
