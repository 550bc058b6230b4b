package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// probes maps each feature that Require knows to its memoized probe. A
// probe returns nil when the feature is usable, else why not.
var probes = map[string]func() error{
	"gcc":     sync.OnceValue(func() error { return probeCommand("gcc", "--version") }),
	"gdb":     sync.OnceValue(func() error { return probeCommand("gdb", "--version") }),
	"python3": sync.OnceValue(func() error { return probeCommand("/usr/bin/python3", "-c", "pass") }),
	"sqlite3": sync.OnceValue(func() error { return probeCommand("sqlite3", "-version") }),
	"ptrace":  sync.OnceValue(probePtrace),
}

// Features lists the names Require accepts.
func Features() []string {
	var names []string
	for k := range probes {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Has reports whether feature is usable on this machine: nil if so, else
// the reason. The probe runs once per process.
func Has(feature string) error {
	p, ok := probes[feature]
	if !ok {
		return fmt.Errorf("unknown feature %q (known: %s)", feature, strings.Join(Features(), ", "))
	}
	return p()
}

// Require skips t unless feature is usable on this machine. When the
// environment variable CI is non-empty it fails t instead, so that nothing
// is skipped silently in CI. An unknown feature always fails t.
//
// Features: "gcc", "gdb", "python3", "sqlite3" (the program runs), and
// "ptrace" (a child started with PTRACE_TRACEME stops at its exec).
func Require(t testing.TB, feature string) {
	t.Helper()
	if _, ok := probes[feature]; !ok {
		t.Fatalf("test.Require: unknown feature %q (known: %s)", feature, strings.Join(Features(), ", "))
	}
	err := Has(feature)
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("needs %s: %v (CI is set: not skipping)", feature, err)
	}
	t.Skipf("needs %s: %v", feature, err)
}

// probeCommand checks that name is on PATH and that running it with args
// succeeds.
func probeCommand(name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", path, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// probePtrace starts a child that calls PTRACE_TRACEME before exec, and
// checks that it stops with SIGTRAP at the exec, as a tracee must.
func probePtrace() error {
	bin, err := exec.LookPath("true")
	if err != nil {
		return err
	}
	// The thread that started the tracee is its tracer.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	cmd := exec.Command(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting a child with PTRACE_TRACEME: %w", err)
	}
	pid := cmd.Process.Pid
	defer func() {
		syscall.Kill(pid, syscall.SIGKILL)
		cmd.Wait()
	}()

	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, syscall.WALL, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait4 for the tracee: %w", err)
		}
		break
	}
	if !ws.Stopped() || ws.StopSignal() != syscall.SIGTRAP {
		return fmt.Errorf("child with PTRACE_TRACEME did not stop at exec (wait status %#x)", uint32(ws))
	}
	return nil
}
