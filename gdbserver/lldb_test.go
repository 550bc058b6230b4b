package gdbserver

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLLDB runs the real lldb-22 against the fake target. It is skipped
// (with the reason) where lldb-22 is not installed, CI included, until the
// CI script installs it (apt-get install lldb-22).
func TestLLDB(t *testing.T) {
	lldb := requireTool(t, "lldb-22")
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
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Without -b: in batch mode lldb stops running commands after a stop.
	cmd := exec.CommandContext(ctx, lldb, "--no-use-colors", "--no-lldbinit", "/bin/true",
		"-o", "gdb-remote "+ln.Addr().String(),
		"-o", "register read rip",
		"-o", fmt.Sprintf("memory read -s1 -c4 -fx %#x", fakeBase+0x10),
		"-o", "register read rip",
		"-o", fmt.Sprintf("breakpoint set -a %#x", bp),
		"-o", "process continue",
		"-o", "register read rip",
		"-o", "process continue -R",
		"-o", "register read rip",
		"-o", "process kill",
		"-o", "quit",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("lldb output:\n%s", out)
	if err != nil {
		t.Errorf("lldb: %v", err)
	}
	s := string(out)
	for _, want := range []string{
		"rip = 0x0000000000400000",
		"0x10 0x11 0x12 0x13",
		fmt.Sprintf("rip = 0x%016x", bp),
		"history boundary",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("lldb output lacks %q", want)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("server did not finish after lldb quit")
	}
	if t.Failed() {
		t.Logf("wire log:\n%s", wire.String())
	}
}
