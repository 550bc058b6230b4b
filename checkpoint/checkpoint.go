// Package checkpoint snapshots a replaying process: a fork() injected into
// the stopped tracee leaves a child that stays stopped and traced, sharing
// memory copy-on-write, so a snapshot costs little. Restoring forks the
// snapshot again; the snapshot stays for the next time.
//
// fork copies only the calling thread. A snapshot of a process with
// several threads keeps what the kernel holds for each other thread
// (registers, vector registers, signal mask, signal stack,
// clear_child_tid) and Restore re-creates them in the fork's copy with
// injected clone(CLONE_THREAD) calls, as rr does. What the threads keep
// in memory (TLS, the syscall buffer's slots) comes with the memory.
// Robust-list heads and rseq are not copied: the replay emulates
// set_robust_list, and rseq fails when recorded.
package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"rewind/tracee"
)

// ErrNotHere means a thread is in a state a copy would not reproduce: try
// at another point.
var ErrNotHere = errors.New("a thread cannot be copied in its state here")

// Live is a stopped thread of the process to snapshot.
type Live struct {
	P *tracee.Proc
	// Entry: stopped at the entry of a syscall (a call the replay left
	// blocked); else stopped in user mode (a signal, exec or syscall-exit
	// stop).
	Entry bool
}

// Snapshot is a stopped copy of a process at one point of its replay.
type Snapshot struct {
	proc    *tracee.Proc // the first thread's copy; never resumed
	threads []thread
}

// thread is what a snapshot keeps of one thread besides memory.
type thread struct {
	regs     unix.PtraceRegs // at its stop (with entry, the entry stop)
	entry    bool
	xstate   []byte
	mask     uint64
	altStack [24]byte // stack_t as sigaltstack(NULL, &old) gives it
	clearTid uint64
}

// Take snapshots the process of threads, all stopped, with no
// breakpoints in memory and no signal about to be delivered. The first
// thread is the one forked: make it the process's leader, so the copy's
// leader is the same thread. It returns ErrNotHere when a thread is where
// a copy would resume differently.
func Take(threads []Live) (*Snapshot, error) {
	if len(threads) == 0 {
		return nil, errors.New("snapshot: no thread")
	}
	ths := make([]thread, len(threads))
	for i, l := range threads { // before any injection: ErrNotHere costs nothing
		regs, err := l.P.Regs()
		if err != nil {
			return nil, err
		}
		if !l.Entry && restarting(&regs) {
			return nil, ErrNotHere
		}
		ths[i].regs, ths[i].entry = regs, l.Entry
	}
	for i, l := range threads {
		if err := ths[i].capture(l.P, i > 0, len(threads) > 1); err != nil {
			return nil, fmt.Errorf("snapshot of thread %d: %w", l.P.Pid, err)
		}
	}
	_, c, err := threads[0].P.InjectCall(threads[0].Entry, unix.SYS_CLONE, unix.CLONE_PARENT|uint64(unix.SIGCHLD))
	if err != nil {
		return nil, fmt.Errorf("injected fork: %w", err)
	}
	if c == nil {
		return nil, errors.New("injected fork: no child")
	}
	u := ths[0].userRegs()
	if err := c.SetRegs(&u); err != nil {
		c.Kill()
		return nil, err
	}
	return &Snapshot{proc: c, threads: ths}, nil
}

// restarting tells whether a thread stopped in user mode after a syscall
// would restart it when resumed from another kind of stop (a fresh
// copy's): the kernel restarts a call that returns -ERESTART* on the way
// out of a signal stop even when no signal is delivered.
func restarting(r *unix.PtraceRegs) bool {
	if int64(r.Orig_rax) < 0 {
		return false
	}
	switch int64(r.Rax) {
	case -512, -513, -514, -516: // ERESTARTSYS, NOINTR, NOHAND, _RESTARTBLOCK
		return true
	}
	return false
}

const (
	prGetTidAddress = 40
	ssOnStack       = 1
	ssDisable       = 2
)

// capture reads what the kernel keeps for thread p. Only a re-created
// thread (other) needs more than clear_child_tid: the forked one
// inherits the rest. Without many, a kernel that cannot tell
// clear_child_tid (no CONFIG_CHECKPOINT_RESTORE) leaves it unset.
func (th *thread) capture(p *tracee.Proc, other, many bool) error {
	// The answers go below the red zone of the thread's stack, put back
	// afterwards.
	scratch := (th.regs.Rsp - 128 - 32) &^ 15
	var saved [32]byte
	if err := p.ReadMem(scratch, saved[:]); err != nil {
		return err
	}
	defer p.WriteMem(scratch, saved[:])
	r, _, err := p.InjectCall(th.entry, unix.SYS_PRCTL, prGetTidAddress, scratch+24)
	if err != nil {
		return err
	}
	if r != 0 && many {
		return fmt.Errorf("prctl(PR_GET_TID_ADDRESS): %w", unix.Errno(-r))
	}
	if other {
		if r, _, err := p.InjectCall(th.entry, unix.SYS_SIGALTSTACK, 0, scratch); err != nil || r != 0 {
			return fmt.Errorf("sigaltstack: %w", tracee.CallError(err, r))
		}
		if th.mask, err = p.SignalMask(); err != nil {
			return err
		}
		if th.xstate, err = xstate(p); err != nil {
			return err
		}
	}
	var out [32]byte
	if err := p.ReadMem(scratch, out[:]); err != nil {
		return err
	}
	copy(th.altStack[:], out[:24])
	if r == 0 {
		th.clearTid = binary.LittleEndian.Uint64(out[24:])
	}
	return nil
}

// userRegs are the registers to give a copy of the thread: at a syscall
// entry, those of the moment before it (reenter makes the call again).
func (th *thread) userRegs() unix.PtraceRegs {
	if th.entry {
		return tracee.PreEntry(th.regs)
	}
	return th.regs
}

// Restore returns a new process in the snapshot's state, to replay on:
// its threads in the order given to Take, stopped as they were.
func (s *Snapshot) Restore() ([]*tracee.Proc, error) {
	_, leader, err := s.proc.InjectCall(false, unix.SYS_CLONE, unix.CLONE_PARENT|uint64(unix.SIGCHLD))
	if err != nil {
		return nil, fmt.Errorf("injected fork: %w", err)
	}
	if leader == nil {
		return nil, errors.New("injected fork: no child")
	}
	procs := []*tracee.Proc{leader}
	fail := func(err error) ([]*tracee.Proc, error) {
		killProcess(procs)
		return nil, fmt.Errorf("restoring a snapshot: %w", err)
	}
	first := s.threads[0]
	u := first.userRegs()
	if err := leader.SetRegs(&u); err != nil {
		return fail(err)
	}
	for _, th := range s.threads[1:] {
		flags := uint64(unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD | unix.CLONE_SYSVSEM)
		if th.clearTid != 0 {
			flags |= unix.CLONE_CHILD_CLEARTID
		}
		_, q, err := leader.InjectCall(false, unix.SYS_CLONE, flags, 0, 0, th.clearTid, 0)
		if err == nil && q == nil {
			err = errors.New("injected clone: no thread")
		}
		if err != nil {
			return fail(err)
		}
		procs = append(procs, q)
		if err := th.apply(q); err != nil {
			return fail(err)
		}
	}
	// A fork's child has no clear_child_tid.
	if first.clearTid != 0 {
		if _, _, err := leader.InjectCall(false, unix.SYS_SET_TID_ADDRESS, first.clearTid); err != nil {
			return fail(err)
		}
	}
	if first.entry {
		if err := leader.Reenter(first.regs); err != nil {
			return fail(err)
		}
	}
	return procs, nil
}

// apply gives the fresh thread q (a clone of the copy's leader) the state
// of th.
func (th *thread) apply(q *tracee.Proc) error {
	u := th.userRegs()
	if err := q.SetRegs(&u); err != nil {
		return err
	}
	// A clone sharing memory starts without a signal stack.
	if flags := binary.LittleEndian.Uint32(th.altStack[8:]); flags&ssDisable == 0 {
		ss := th.altStack
		binary.LittleEndian.PutUint32(ss[8:], flags&^ssOnStack)
		scratch := (u.Rsp - 128 - 32) &^ 15
		var saved [24]byte
		if err := q.ReadMem(scratch, saved[:]); err != nil {
			return err
		}
		err := q.WriteMem(scratch, ss[:])
		if err == nil {
			var r int64
			if r, _, err = q.InjectCall(false, unix.SYS_SIGALTSTACK, scratch, 0); err == nil && r != 0 {
				err = fmt.Errorf("sigaltstack: %w", unix.Errno(-r))
			}
		}
		if err := errors.Join(err, q.WriteMem(scratch, saved[:])); err != nil {
			return err
		}
	}
	if err := q.SetSignalMask(th.mask); err != nil {
		return err
	}
	if err := setXState(q, th.xstate); err != nil {
		return err
	}
	if th.entry {
		return q.Reenter(th.regs)
	}
	return nil
}

// killProcess kills a process given by its threads, leader first in the
// list, and reaps them, the leader last (it is reported only then).
func killProcess(procs []*tracee.Proc) {
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Kill()
	}
}

// Threads is how many threads Restore re-creates.
func (s *Snapshot) Threads() int { return len(s.threads) }

// Pid is the snapshot process's pid.
func (s *Snapshot) Pid() int { return s.proc.Pid }

// Release kills the snapshot.
func (s *Snapshot) Release() { s.proc.Kill() }
