package checkpoint

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"rewind/tracee"
)

var syscallInsn = []byte{0x0f, 0x05}

// inject runs syscall nr in the stopped thread p as if it made it there,
// then puts p back as it was. p is stopped in user mode (a signal, exec
// or syscall-exit stop), or with entry set at the entry of a syscall of
// its own: that call is swapped for nr, then p makes its call again and
// stops at its entry with the same registers. A thread or process the
// call created is returned stopped at its first stop (SIGSTOP), its
// registers those the kernel gave it; a forked copy also gets back the
// code bytes the injection replaced.
func inject(p *tracee.Proc, entry bool, nr uint64, args ...uint64) (ret int64, child *tracee.Proc, err error) {
	saved, err := p.Regs()
	if err != nil {
		return 0, nil, err
	}
	r := saved
	var code [2]byte
	if entry {
		r.Orig_rax = nr
	} else {
		if err := p.ReadMem(saved.Rip, code[:]); err != nil {
			return 0, nil, err
		}
		if err := p.WriteMem(saved.Rip, syscallInsn); err != nil {
			return 0, nil, err
		}
		r.Rax, r.Orig_rax = nr, ^uint64(0)
	}
	var a [6]uint64
	copy(a[:], args)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = a[0], a[1], a[2], a[3], a[4], a[5]
	childPid := 0
	defer func() {
		// Put p back even when the call failed half-way.
		var perr error
		if entry {
			perr = reenter(p, saved)
		} else {
			perr = errors.Join(p.WriteMem(saved.Rip, code[:]), p.SetRegs(&saved))
		}
		if err == nil {
			err = perr
		}
		if childPid != 0 {
			c, cerr := firstStop(childPid)
			if cerr == nil && !entry && a[0]&unix.CLONE_VM == 0 {
				cerr = c.WriteMem(saved.Rip, code[:])
			}
			if err == nil && cerr == nil {
				child = c
				return
			}
			kill(childPid)
			err = errors.Join(err, cerr)
		}
	}()
	if err := p.SetRegs(&r); err != nil {
		return 0, nil, err
	}
	stops := 2 // entry, then exit
	if entry {
		stops = 1
	}
	for stops > 0 {
		ws, err := resume(p)
		if err != nil {
			return 0, nil, err
		}
		switch {
		case ws.StopSignal() == tracee.StopSyscall:
			stops--
		case tracee.CloneEvent(ws):
			msg, err := p.EventMsg()
			if err != nil {
				return 0, nil, err
			}
			childPid = int(msg)
		default:
			return 0, nil, fmt.Errorf("injected syscall %d: unexpected %s", nr, tracee.Describe(ws))
		}
	}
	after, err := p.Regs()
	if err != nil {
		return 0, nil, err
	}
	return int64(after.Rax), nil, nil
}

// reenter makes p, which stopped at the entry of the call of regs e and
// was then made to run another, enter its own call again: it executes
// the syscall instruction again, with the registers it had before it.
func reenter(p *tracee.Proc, e unix.PtraceRegs) error {
	pre := preEntry(e)
	if err := p.SetRegs(&pre); err != nil {
		return err
	}
	ws, err := resume(p)
	if err != nil {
		return err
	}
	if ws.StopSignal() != tracee.StopSyscall {
		return fmt.Errorf("entering syscall %d again: unexpected %s", e.Orig_rax, tracee.Describe(ws))
	}
	have, err := p.Regs()
	if err != nil {
		return err
	}
	if have != e {
		return fmt.Errorf("entering syscall %d again: the registers differ", e.Orig_rax)
	}
	return nil
}

// preEntry turns the registers of a syscall-entry stop into those of the
// moment before: at the syscall instruction, the number in rax.
func preEntry(e unix.PtraceRegs) unix.PtraceRegs {
	e.Rip -= uint64(len(syscallInsn))
	e.Rax = e.Orig_rax
	return e
}

// resume runs p to its next stop, discarding SIGCHLD (as
// tracee.InjectFork does: snapshots and their copies are the replay's
// siblings) and seccomp stops. It fails when p did not stop.
func resume(p *tracee.Proc) (unix.WaitStatus, error) {
	for {
		if err := p.Syscall(0); err != nil {
			return 0, err
		}
		ws, err := p.Wait()
		if err != nil {
			return ws, err
		}
		if !ws.Stopped() {
			return ws, fmt.Errorf("thread %d %s", p.Pid, tracee.Describe(ws))
		}
		if ws.StopSignal() != unix.SIGCHLD && !(ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_SECCOMP) {
			return ws, nil
		}
	}
}

// firstStop waits for a new thread or process to stop at its birth.
func firstStop(pid int) (*tracee.Proc, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if !ws.Stopped() {
		return nil, fmt.Errorf("new thread %d: unexpected %s", pid, tracee.Describe(ws))
	}
	return tracee.Adopt(pid)
}

// kill kills a thread or process and reaps it.
func kill(pid int) {
	(&tracee.Proc{Pid: pid}).Kill()
}

const ntX86XState = 0x202

// xstate returns the thread's whole XSAVE area (its size is the
// kernel's, which setting it again requires).
func xstate(p *tracee.Proc) ([]byte, error) {
	buf := make([]byte, 16<<10)
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	if _, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(p.Pid), ntX86XState, uintptr(unsafe.Pointer(&iov)), 0, 0); errno != 0 {
		return nil, fmt.Errorf("reading the vector registers: %w", errno)
	}
	return buf[:iov.Len], nil
}

func setXState(p *tracee.Proc, b []byte) error {
	iov := unix.Iovec{Base: &b[0]}
	iov.SetLen(len(b))
	if _, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SETREGSET, uintptr(p.Pid), ntX86XState, uintptr(unsafe.Pointer(&iov)), 0, 0); errno != 0 {
		return fmt.Errorf("setting the vector registers: %w", errno)
	}
	return nil
}

// sigmask gets (PTRACE_GETSIGMASK) or sets the thread's signal mask.
func sigmask(p *tracee.Proc, req int, mask uint64) (uint64, error) {
	if _, _, errno := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(p.Pid), 8, uintptr(unsafe.Pointer(&mask)), 0, 0); errno != 0 {
		return 0, fmt.Errorf("signal mask: %w", errno)
	}
	return mask, nil
}
