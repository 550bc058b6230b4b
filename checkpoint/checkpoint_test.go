package checkpoint_test

import (
	"bufio"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"rewind/checkpoint"
	"rewind/test"
	"rewind/tracee"
)

func TestMain(m *testing.M) {
	code := m.Run()
	test.Cleanup()
	os.Exit(code)
}

// process is a traced multi-threaded program run natively (no replay),
// its threads by tid.
type process struct {
	t       *testing.T
	threads map[int]*tracee.Proc
	started map[int]bool // past their first stop
	pid     int
}

// run resumes the threads, all stopped, and handles their stops until
// until() holds or every thread ended. New threads join; their first
// SIGSTOP is passed over, other signals delivered.
func (p *process) run(until func() bool) {
	p.t.Helper()
	for tid, th := range p.threads {
		th.Cont(0)
		p.started[tid] = true
	}
	// A thread that lost its state may wait forever (pthread_join without
	// clear_child_tid).
	late := time.AfterFunc(time.Minute, func() {
		p.t.Errorf("process %d did not get there in a minute", p.pid)
		unix.Kill(p.pid, unix.SIGKILL)
	})
	defer late.Stop()
	for len(p.threads) > 0 && (until == nil || !until()) {
		var ws unix.WaitStatus
		tid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECHILD {
			return
		}
		if err != nil {
			p.t.Fatal(err)
		}
		th := p.threads[tid]
		if th == nil { // a new thread's first stop may come before its clone event
			th, _ = tracee.Adopt(tid)
			p.threads[tid] = th
		}
		switch {
		case ws.Exited() || ws.Signaled():
			th.Release()
			delete(p.threads, tid)
			continue
		case tracee.CloneEvent(ws):
			msg, _ := th.EventMsg()
			if p.threads[int(msg)] == nil {
				c, err := tracee.Adopt(int(msg))
				if err != nil {
					p.t.Fatal(err)
				}
				p.threads[int(msg)] = c
			}
		}
		sig := 0
		if ws.StopSignal() == unix.SIGSTOP {
			p.started[tid] = true
		} else if ws.StopSignal() != unix.SIGTRAP {
			sig = int(ws.StopSignal())
		}
		th.Cont(sig)
	}
}

// stopAll stops every thread with SIGSTOP, then brings one stopped in a
// syscall it would restart to that call's entry, as the replay leaves a
// thread that waits in a call. It returns the threads, leader first.
func (p *process) stopAll(leader int) []checkpoint.Live {
	p.t.Helper()
	for tid := range p.threads {
		unix.Tgkill(leader, tid, unix.SIGSTOP)
	}
	stopped := map[int]bool{}
	for len(stopped) < len(p.threads) {
		var ws unix.WaitStatus
		tid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || !ws.Stopped() || p.threads[tid] == nil {
			p.t.Fatalf("stopping the threads: %d %v %v", tid, tracee.Describe(ws), err)
		}
		if ws.StopSignal() == unix.SIGSTOP && !stopped[tid] {
			stopped[tid] = true
			continue
		}
		p.threads[tid].Cont(0)
	}
	live := []checkpoint.Live{{P: p.threads[leader]}}
	for tid, th := range p.threads {
		if tid != leader {
			live = append(live, checkpoint.Live{P: th})
		}
	}
	for i, l := range live {
		r, err := l.P.Regs()
		if err != nil {
			p.t.Fatal(err)
		}
		if int64(r.Orig_rax) < 0 || int64(r.Rax) > -512 || int64(r.Rax) < -516 {
			continue
		}
		// Resumed, it makes the call again, from its entry.
		if err := l.P.Syscall(0); err != nil {
			p.t.Fatal(err)
		}
		ws, err := l.P.Wait()
		if err != nil || !ws.Stopped() || ws.StopSignal() != tracee.StopSyscall {
			p.t.Fatalf("thread %d to its syscall's entry: %v %v", l.P.Pid, tracee.Describe(ws), err)
		}
		live[i].Entry = true
	}
	return live
}

// A snapshot of a process of three threads (two workers and main, which
// waits in pthread_join) restores all of them: each thread continues in
// the copy as in the original, and both print what a run that was never
// stopped prints (the workers fold their vector register, TLS, signal
// mask and signal stack into it; main waits for their clear_child_tid).
func TestRestoreThreads(t *testing.T) {
	test.Require(t, "ptrace")
	prog := test.Build(t, "thread_loop")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const iters = "300000"
	native := test.Run(t, "", nil, prog, iters)
	if native.Code != 0 {
		t.Fatalf("native run: %s", native)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	leader, err := tracee.Spawn(tracee.SpawnOptions{Path: prog, Argv: []string{prog, iters}, Files: []*os.File{devnull, w, w}, CPU: -1})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, threads: map[int]*tracee.Proc{leader.Pid: leader}, started: map[int]bool{}, pid: leader.Pid}
	defer func() {
		unix.Kill(leader.Pid, unix.SIGKILL)
		p.run(nil)
	}()
	p.run(func() bool { return len(p.started) == 3 })
	time.Sleep(20 * time.Millisecond) // into the workers' loops
	live := p.stopAll(leader.Pid)
	if !live[0].Entry {
		t.Errorf("main is not waiting in a syscall")
	}
	var before []unix.PtraceRegs
	for _, l := range live {
		regs, _ := l.P.Regs()
		before = append(before, regs)
	}
	snap, err := checkpoint.Take(live)
	if errors.Is(err, checkpoint.ErrNotHere) {
		t.Skip("a thread is stopped where it cannot be copied; rerun")
	}
	if err != nil {
		t.Fatalf("take: %v", err)
	}
	defer snap.Release()
	if snap.Threads() != 3 {
		t.Errorf("the snapshot has %d threads, want 3", snap.Threads())
	}
	procs, err := snap.Restore()
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	copyProc := &process{t: t, threads: map[int]*tracee.Proc{}, started: map[int]bool{}, pid: procs[0].Pid}
	for i, c := range procs {
		copyProc.threads[c.Pid] = c
		have, err := c.Regs()
		if err != nil {
			t.Fatal(err)
		}
		if have != before[i] {
			t.Errorf("thread %d: registers\n  have %+v\n  want %+v", i, have, before[i])
		}
		if i == 0 && tracee.Tgid(c.Pid) != c.Pid {
			t.Errorf("the first thread of the copy is not its leader")
		}
		if i > 0 && tracee.Tgid(c.Pid) != procs[0].Pid {
			t.Errorf("thread %d of the copy is in process %d, want %d", c.Pid, tracee.Tgid(c.Pid), procs[0].Pid)
		}
	}
	// The original goes on unharmed, then the copy does the same.
	lines := make(chan string)
	go func() {
		in := bufio.NewReader(r)
		for {
			line, err := in.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- line
		}
	}()
	for _, q := range []*process{p, copyProc} {
		q.run(nil)
		select {
		case line := <-lines:
			if line != string(native.Stdout) {
				t.Errorf("process %d printed %q, want %q", q.pid, line, native.Stdout)
			}
		case <-time.After(time.Second):
			t.Errorf("process %d printed nothing, want %q", q.pid, native.Stdout)
		}
	}
}
