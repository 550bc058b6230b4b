package tracee

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// StopSyscall is the wait stop signal of a syscall stop (TRACESYSGOOD).
const StopSyscall = unix.SIGTRAP | 0x80

// Inject runs one syscall in the stopped tracee as if it had executed it
// at its current instruction, then puts registers and memory back. The
// tracee must be stopped in user mode (a signal or exec stop, or a
// syscall-exit stop); any signal it was stopped for is discarded.
func (t *Proc) Inject(nr uint64, args ...uint64) (int64, error) {
	saved, err := t.Regs()
	if err != nil {
		return 0, err
	}
	var orig [2]byte
	if err := t.ReadMem(saved.Rip, orig[:]); err != nil {
		return 0, err
	}
	if err := t.WriteMem(saved.Rip, []byte{0x0f, 0x05}); err != nil { // syscall
		return 0, err
	}
	defer t.WriteMem(saved.Rip, orig[:])
	r := saved
	r.Rax, r.Orig_rax = nr, ^uint64(0)
	setArgs(&r, args)
	if err := t.SetRegs(&r); err != nil {
		return 0, err
	}
	for i := 0; i < 2; i++ { // entry stop, then exit stop
		if err := t.toSyscallStop("injected syscall", nr); err != nil {
			return 0, err
		}
	}
	after, err := t.Regs()
	if err != nil {
		return 0, err
	}
	return int64(after.Rax), t.SetRegs(&saved)
}

// InjectAtEntry runs another syscall in place of the one the tracee is
// stopped at the entry of, then makes it enter that one again: it is left
// at the same entry stop, with the same registers.
func (t *Proc) InjectAtEntry(nr uint64, args ...uint64) (int64, error) {
	saved, err := t.Regs()
	if err != nil {
		return 0, err
	}
	r := saved
	r.Orig_rax = nr
	setArgs(&r, args)
	if err := t.SetRegs(&r); err != nil {
		return 0, err
	}
	if err := t.toSyscallStop("injected syscall", nr); err != nil {
		return 0, err
	}
	after, err := t.Regs()
	if err != nil {
		return 0, err
	}
	again := saved
	again.Rip -= 2 // back onto the syscall instruction
	again.Rax = saved.Orig_rax
	if err := t.SetRegs(&again); err != nil {
		return 0, err
	}
	if err := t.toSyscallStop("re-entering syscall", saved.Orig_rax); err != nil {
		return 0, err
	}
	return int64(after.Rax), t.SetRegs(&saved)
}

// setArgs puts up to six syscall arguments in r.
func setArgs(r *unix.PtraceRegs, args []uint64) {
	var a [6]uint64
	copy(a[:], args)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = a[0], a[1], a[2], a[3], a[4], a[5]
}

// toSyscallStop resumes the tracee to its next syscall stop, which must
// be one of the call numbered nr.
func (t *Proc) toSyscallStop(what string, nr uint64) error {
	ws, err := t.resumeSyscall()
	if err != nil {
		return err
	}
	if !ws.Stopped() || ws.StopSignal() != StopSyscall {
		return fmt.Errorf("%s %d: unexpected %s", what, nr, describe(ws))
	}
	return nil
}

// TrapInstructions makes rdtsc/rdtscp (and, with cpuid set, CPUID) raise
// SIGSEGV in the tracee so the tracer can record or replay their results.
// The settings are per task and CPUID faulting is reset by exec, so call
// it after every exec.
func (t *Proc) TrapInstructions(cpuid bool) error {
	if r, err := t.Inject(unix.SYS_PRCTL, prSetTSC, prTSCSigsegv); err != nil || r != 0 {
		return fmt.Errorf("prctl(PR_SET_TSC) in tracee: %v", errOr(err, r))
	}
	if cpuid {
		if r, err := t.Inject(unix.SYS_ARCH_PRCTL, archSetCPUID, 0); err != nil || r != 0 {
			return fmt.Errorf("arch_prctl(ARCH_SET_CPUID) in tracee: %v", errOr(err, r))
		}
	}
	return nil
}

const (
	prSetTSC     = 26
	prTSCSigsegv = 2
	archSetCPUID = 0x1012
)

func errOr(err error, r int64) error {
	if err != nil {
		return err
	}
	return unix.Errno(-r)
}

// InjectFork forks the stopped tracee (as Inject does a syscall) and
// returns the child: traced, stopped, with the registers and memory the
// parent had before the injection. The parent is left as it was. The
// child is made a sibling (CLONE_PARENT), so the tracer, not a stopped
// tracee, reaps it when it is killed.
func (t *Proc) InjectFork() (*Proc, error) {
	saved, err := t.Regs()
	if err != nil {
		return nil, err
	}
	var orig [2]byte
	if err := t.ReadMem(saved.Rip, orig[:]); err != nil {
		return nil, err
	}
	if err := unix.PtraceSetOptions(t.Pid, ptraceOptions|unix.PTRACE_O_TRACEFORK); err != nil {
		return nil, err
	}
	defer unix.PtraceSetOptions(t.Pid, ptraceOptions)
	if err := t.WriteMem(saved.Rip, []byte{0x0f, 0x05}); err != nil {
		return nil, err
	}
	defer t.WriteMem(saved.Rip, orig[:])
	r := saved
	r.Rax, r.Orig_rax = unix.SYS_CLONE, ^uint64(0)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8 = unix.CLONE_PARENT|uint64(unix.SIGCHLD), 0, 0, 0, 0
	if err := t.SetRegs(&r); err != nil {
		return nil, err
	}
	child := 0
	for step := 0; step < 3; step++ { // entry stop, fork event, exit stop
		ws, err := t.resumeSyscall()
		if err != nil {
			return nil, err
		}
		switch {
		case ws.Stopped() && ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_FORK:
			msg, err := unix.PtraceGetEventMsg(t.Pid)
			if err != nil {
				return nil, err
			}
			child = int(msg)
		case ws.Stopped() && ws.StopSignal() == StopSyscall:
		default:
			return nil, fmt.Errorf("injected fork: unexpected %s", describe(ws))
		}
	}
	if err := t.SetRegs(&saved); err != nil {
		return nil, err
	}
	if child == 0 {
		return nil, fmt.Errorf("injected fork: no child")
	}
	c := &Proc{Pid: child}
	// The new child starts stopped by SIGSTOP (discarded when resumed).
	var ws unix.WaitStatus
	if _, err := unix.Wait4(child, &ws, unix.WALL, nil); err != nil {
		return nil, err
	}
	if !ws.Stopped() {
		return nil, fmt.Errorf("forked child: unexpected %s", describe(ws))
	}
	if err := c.ReopenMem(); err != nil {
		c.Kill()
		return nil, err
	}
	if err := c.WriteMem(saved.Rip, orig[:]); err != nil {
		c.Kill()
		return nil, err
	}
	if err := c.SetRegs(&saved); err != nil {
		c.Kill()
		return nil, err
	}
	return c, nil
}

// resumeSyscall resumes to the next syscall stop, discarding SIGCHLD
// (snapshots and the processes forked from them are each other's parents,
// and their exits must not reach the replayed program) and the stop of a
// seccomp filter between entry and exit (the syscall buffer's).
func (t *Proc) resumeSyscall() (unix.WaitStatus, error) {
	for {
		if err := t.Syscall(0); err != nil {
			return 0, err
		}
		ws, err := t.Wait()
		if err != nil || !ws.Stopped() {
			return ws, err
		}
		if ws.StopSignal() != unix.SIGCHLD && !(ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_SECCOMP) {
			return ws, nil
		}
	}
}
