package tracee

import (
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// spawnTraced starts path traced, on the locked test thread, stopped at
// its exec.
func spawnTraced(t *testing.T, path string, args ...string) *Proc {
	t.Helper()
	p, err := Spawn(SpawnOptions{Path: path, Argv: append([]string{path}, args...), CPU: -1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sleeping starts a traced sleep of 0.3 s and lets it run; the caller's
// thread, locked, is its tracer.
func sleeping(t *testing.T) *Proc {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	p := spawnTraced(t, sleep, "0.3")
	if err := p.Cont(0); err != nil {
		p.Kill()
		t.Fatal(err)
	}
	return p
}

// A timeout passes as no event, long or shorter than Go's timers can
// time; a late alarm does not end a later wait; the program's own events
// come through.
func TestWaiterTimeouts(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	w, err := NewWaiter()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p := sleeping(t)
	defer p.Kill()
	for _, timeout := range []time.Duration{5 * time.Millisecond, 200 * time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		ev, ok, err := w.Wait(timeout)
		took := time.Since(start)
		if err != nil || ok {
			t.Fatalf("Wait(%v) = %v %v %v, want a timeout", timeout, ev, ok, err)
		}
		if took < timeout || took > timeout+100*time.Millisecond {
			t.Errorf("Wait(%v) took %v", timeout, took)
		}
	}
	start := time.Now()
	ev, ok, err := w.Wait(0)
	if err != nil || !ok || ev.Tid != p.Pid || !ev.Status.Exited() {
		t.Fatalf("Wait(0) = %+v %v %v, want the program's exit", ev, ok, err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("the program ended after %v, before its sleep", took)
	}
}

// An emulated call: the kernel skips the call Sysemu stops at, and the
// exit stop it reports when the thread is next resumed to stop at
// syscalls is passed, so the next stop is the next call's entry.
func TestSysemuSkipsTheCall(t *testing.T) {
	p := spawnTrue(t)
	if err := p.Sysemu(0); err != nil {
		t.Fatal(err)
	}
	first := syscallStop(t, p)
	first.Rax = 0x1234 // the emulated result
	if err := p.SetRegs(&first); err != nil {
		t.Fatal(err)
	}
	if err := p.Syscall(0); err != nil {
		t.Fatal(err)
	}
	next := syscallStop(t, p)
	if next.Rip == first.Rip && next.Orig_rax == first.Orig_rax {
		t.Fatalf("stopped again at the skipped call (%#x, nr %d), not at the next one's entry", next.Rip, next.Orig_rax)
	}
	if int64(next.Rax) != -int64(unix.ENOSYS) {
		t.Fatalf("the next stop is not a syscall entry: rax %#x", next.Rax)
	}
}

// InjectAtEntry runs another call in place of the one the thread is at
// the entry of and leaves it at that same entry.
func TestInjectAtEntry(t *testing.T) {
	p := spawnTrue(t)
	if err := p.Syscall(0); err != nil {
		t.Fatal(err)
	}
	before := syscallStop(t, p)
	pid, err := p.InjectAtEntry(unix.SYS_GETPID)
	if err != nil {
		t.Fatal(err)
	}
	if int(pid) != p.Pid {
		t.Errorf("injected getpid returned %d, want %d", pid, p.Pid)
	}
	after, err := p.Regs()
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("registers changed: %+v, want %+v", after, before)
	}
	// The call goes on as if nothing happened: its exit comes next.
	if err := p.Syscall(0); err != nil {
		t.Fatal(err)
	}
	exit := syscallStop(t, p)
	if exit.Orig_rax != before.Orig_rax || exit.Rip != before.Rip {
		t.Errorf("next stop at %#x nr %d, want the exit of nr %d at %#x", exit.Rip, exit.Orig_rax, before.Orig_rax, before.Rip)
	}
}

// spawnTrue starts true(1) traced, on the test's thread, locked to it
// until the test ends, when true is killed.
func spawnTrue(t *testing.T) *Proc {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	p := spawnTraced(t, truePath)
	t.Cleanup(func() {
		p.Kill()
		runtime.UnlockOSThread()
	})
	return p
}

// syscallStop waits for p's next stop, which must be a syscall stop, and
// returns its registers.
func syscallStop(t *testing.T, p *Proc) unix.PtraceRegs {
	t.Helper()
	ws, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != StopSyscall {
		t.Fatalf("want a syscall stop, got %s", describe(ws))
	}
	regs, err := p.Regs()
	if err != nil {
		t.Fatal(err)
	}
	return regs
}

func TestPreEntry(t *testing.T) {
	enosys := ^uint64(37)
	e := unix.PtraceRegs{Rip: 0x1002, Rax: enosys, Orig_rax: unix.SYS_FUTEX, Rdi: 7}
	p := PreEntry(e)
	if p.Rip != 0x1000 || p.Rax != unix.SYS_FUTEX || p.Orig_rax != unix.SYS_FUTEX || p.Rdi != 7 {
		t.Errorf("PreEntry(%+v) = %+v", e, p)
	}
}

// WaitUntil gives up after its time while the tracee runs, and reports
// its stop when it comes.
func TestWaitUntil(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := sleeping(t)
	defer p.Kill()
	start := time.Now()
	if ws, ok, err := p.WaitUntil(50 * time.Millisecond); ok || err != nil {
		t.Fatalf("WaitUntil(50ms) = %v %v %v while the program sleeps", ws, ok, err)
	}
	if took := time.Since(start); took < 50*time.Millisecond || took > time.Second {
		t.Errorf("WaitUntil(50ms) took %v", took)
	}
	if ws, ok, err := p.WaitUntil(10 * time.Second); !ok || err != nil || !ws.Exited() {
		t.Fatalf("WaitUntil(10s) = %v %v %v, want the program's exit", ws, ok, err)
	}
}
