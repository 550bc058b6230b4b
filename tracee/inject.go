package tracee

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// StopSyscall is the wait stop signal of a syscall stop (TRACESYSGOOD).
const StopSyscall = unix.SIGTRAP | 0x80

// Inject runs one syscall in the stopped tracee as if it had executed it
// at its current instruction, then puts registers and memory back. The
// tracee must be stopped in user mode (a signal or exec stop, or a
// syscall-exit stop); any signal it was stopped for is discarded.
func (t *Proc) Inject(nr uint64, args ...uint64) (int64, error) {
	r, _, err := t.InjectCall(false, nr, args...)
	return r, err
}

// InjectAtEntry runs another syscall in place of the one the tracee is
// stopped at the entry of, then makes it enter that one again: it is left
// at the same entry stop, with the same registers.
func (t *Proc) InjectAtEntry(nr uint64, args ...uint64) (int64, error) {
	r, _, err := t.InjectCall(true, nr, args...)
	return r, err
}

var syscallInsn = []byte{0x0f, 0x05}

// InjectCall runs syscall nr in the stopped thread t as if it made it
// there, then puts t back as it was. t is stopped in user mode (a signal,
// exec or syscall-exit stop), or, with entry, at the entry of a syscall of
// its own: that call is swapped for nr, then t makes its call again and
// stops at its entry with the same registers. A thread or process the
// call created (reported with the ptrace options the caller set) is
// returned stopped at its first stop, its registers those the kernel gave
// it; a forked copy also gets back the code bytes the injection replaced.
func (t *Proc) InjectCall(entry bool, nr uint64, args ...uint64) (ret int64, child *Proc, err error) {
	saved, err := t.Regs()
	if err != nil {
		return 0, nil, err
	}
	if entry && t.atEmuEntry {
		// The kernel skips the call it stopped at (Sysemu), and would
		// skip the one swapped in: enter it again, to be made.
		if err := t.Reenter(saved); err != nil {
			return 0, nil, err
		}
	}
	r := saved
	var code [2]byte
	if entry {
		r.Orig_rax = nr
	} else {
		if err := t.ReadMem(saved.Rip, code[:]); err != nil {
			return 0, nil, err
		}
		if err := t.WriteMem(saved.Rip, syscallInsn); err != nil {
			return 0, nil, err
		}
		r.Rax, r.Orig_rax = nr, ^uint64(0)
	}
	setArgs(&r, args)
	childPid := 0
	defer func() {
		// Put t back even when the call failed half-way.
		var perr error
		if entry {
			perr = t.Reenter(saved)
		} else {
			perr = errors.Join(t.WriteMem(saved.Rip, code[:]), t.SetRegs(&saved))
		}
		if err == nil {
			err = perr
		}
		if childPid != 0 {
			c, cerr := firstStop(childPid)
			if cerr == nil && !entry && len(args) > 0 && args[0]&unix.CLONE_VM == 0 {
				cerr = c.WriteMem(saved.Rip, code[:])
			}
			if err == nil && cerr == nil {
				child = c
				return
			}
			(&Proc{Pid: childPid}).Kill()
			err = errors.Join(err, cerr)
		}
	}()
	if err := t.SetRegs(&r); err != nil {
		return 0, nil, err
	}
	stops := 2 // entry, then exit
	if entry {
		stops = 1
	}
	for stops > 0 {
		ws, err := t.resumeSyscall()
		if err != nil {
			return 0, nil, err
		}
		switch {
		case ws.Stopped() && ws.StopSignal() == StopSyscall:
			stops--
		case CloneEvent(ws):
			msg, err := t.EventMsg()
			if err != nil {
				return 0, nil, err
			}
			childPid = int(msg)
		default:
			return 0, nil, fmt.Errorf("injected syscall %d: unexpected %s", nr, describe(ws))
		}
	}
	after, err := t.Regs()
	if err != nil {
		return 0, nil, err
	}
	return int64(after.Rax), nil, nil
}

// Reenter makes t, which stopped at the entry of the call of registers e
// and was then made to run another, enter its own call again: it executes
// the syscall instruction again, with the registers it had before it.
func (t *Proc) Reenter(e unix.PtraceRegs) error {
	pre := PreEntry(e)
	if err := t.SetRegs(&pre); err != nil {
		return err
	}
	if err := t.toSyscallStop(fmt.Sprintf("entering syscall %d again", e.Orig_rax)); err != nil {
		return err
	}
	have, err := t.Regs()
	if err != nil {
		return err
	}
	if have != e {
		return fmt.Errorf("entering syscall %d again: the registers differ", e.Orig_rax)
	}
	return nil
}

// RunCall runs the call at whose entry t stopped, e its registers there,
// to its exit stop, also when the kernel was to skip it (Sysemu).
func (t *Proc) RunCall(e unix.PtraceRegs) error {
	if t.atEmuEntry {
		if err := t.Reenter(e); err != nil {
			return err
		}
	}
	return t.toSyscallStop(fmt.Sprintf("running syscall %d", e.Orig_rax))
}

// PreEntry turns the registers of a syscall-entry stop into those of the
// moment before: at the syscall instruction, the number in rax.
func PreEntry(e unix.PtraceRegs) unix.PtraceRegs {
	e.Rip -= uint64(len(syscallInsn))
	e.Rax = e.Orig_rax
	return e
}

// setArgs puts up to six syscall arguments in r.
func setArgs(r *unix.PtraceRegs, args []uint64) {
	var a [6]uint64
	copy(a[:], args)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = a[0], a[1], a[2], a[3], a[4], a[5]
}

// toSyscallStop resumes t to its next syscall stop, which must come next.
func (t *Proc) toSyscallStop(what string) error {
	ws, err := t.resumeSyscall()
	if err != nil {
		return err
	}
	if !ws.Stopped() || ws.StopSignal() != StopSyscall {
		return fmt.Errorf("%s: unexpected %s", what, describe(ws))
	}
	return nil
}

// firstStop waits for a new thread or process to stop at its birth.
func firstStop(pid int) (*Proc, error) {
	ws, err := (&Proc{Pid: pid}).Wait()
	if err != nil {
		return nil, err
	}
	if !ws.Stopped() {
		return nil, fmt.Errorf("new thread %d: unexpected %s", pid, describe(ws))
	}
	return Adopt(pid)
}

// TrapInstructions makes rdtsc/rdtscp (and, with cpuid set, CPUID) raise
// SIGSEGV in the tracee so the tracer can record or replay their results.
// The settings are per task and CPUID faulting is reset by exec, so call
// it after every exec.
func (t *Proc) TrapInstructions(cpuid bool) error {
	if r, err := t.Inject(unix.SYS_PRCTL, prSetTSC, prTSCSigsegv); err != nil || r != 0 {
		return fmt.Errorf("prctl(PR_SET_TSC) in tracee: %v", CallError(err, r))
	}
	if cpuid {
		if r, err := t.Inject(unix.SYS_ARCH_PRCTL, archSetCPUID, 0); err != nil || r != 0 {
			return fmt.Errorf("arch_prctl(ARCH_SET_CPUID) in tracee: %v", CallError(err, r))
		}
	}
	return nil
}

const (
	prSetTSC     = 26
	prTSCSigsegv = 2
	archSetCPUID = 0x1012
)

// CallError is the error of a call injected with Inject: err if it could
// not be made, else the errno its result r holds, or, if r is no errno,
// an error saying what it returned instead of what was expected.
func CallError(err error, r int64) error {
	if err != nil {
		return err
	}
	if r < 0 && r > -4096 {
		return unix.Errno(-r)
	}
	return fmt.Errorf("the call returned %#x", r)
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

// RunCode runs code in t, stopped, from the registers regs until it
// executes the int3 at trap, and returns the registers there. Its
// syscalls run without stops. The code calls the tracer with the int3 at
// call: onCall gets the registers there and returns what goes into rax.
// The thread's signals are blocked meanwhile, so none is taken by the
// code run: they stay pending for the program.
func (t *Proc) RunCode(regs unix.PtraceRegs, trap, call uint64, onCall func(*unix.PtraceRegs) (int64, error)) (unix.PtraceRegs, error) {
	mask, err := t.SignalMask()
	if err != nil {
		return regs, err
	}
	if err := t.SetSignalMask(^uint64(0)); err != nil {
		return regs, err
	}
	if err := t.SetRegs(&regs); err != nil {
		return regs, err
	}
	for {
		if err := t.Cont(0); err != nil {
			return regs, err
		}
		ws, err := t.Wait()
		if err != nil {
			return regs, err
		}
		if ws.Stopped() && ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_SECCOMP {
			continue // a call the filter traces: it runs
		}
		if regs, err = t.Regs(); err != nil {
			return regs, err
		}
		switch {
		case !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP || ws.TrapCause() != 0:
			return regs, fmt.Errorf("running code: unexpected %s at %#x", describe(ws), regs.Rip)
		case regs.Rip == trap+1:
			return regs, t.SetSignalMask(mask)
		case regs.Rip == call+1:
			res, err := onCall(&regs)
			if err != nil {
				return regs, err
			}
			regs.Rax = uint64(res)
			if err := t.SetRegs(&regs); err != nil {
				return regs, err
			}
		default:
			return regs, fmt.Errorf("running code: a trap at %#x", regs.Rip)
		}
	}
}

// SignalMask returns the thread's signal mask (PTRACE_GETSIGMASK).
func (t *Proc) SignalMask() (uint64, error) {
	var mask uint64
	if _, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGMASK, uintptr(t.Pid), 8, uintptr(unsafe.Pointer(&mask)), 0, 0); errno != 0 {
		return 0, fmt.Errorf("reading the signal mask of thread %d: %w", t.Pid, errno)
	}
	return mask, nil
}

// SetSignalMask sets the thread's signal mask (PTRACE_SETSIGMASK).
func (t *Proc) SetSignalMask(mask uint64) error {
	if _, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SETSIGMASK, uintptr(t.Pid), 8, uintptr(unsafe.Pointer(&mask)), 0, 0); errno != 0 {
		return fmt.Errorf("setting the signal mask of thread %d: %w", t.Pid, errno)
	}
	return nil
}
