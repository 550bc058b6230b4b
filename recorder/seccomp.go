package recorder

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"rewind/preload"
	"rewind/trace"
)

// A program's own seccomp filter. Its denials (SECCOMP_RET_ERRNO) would
// take effect in the kernel without a ptrace stop, so nothing would
// record them, and they would also refuse rewind's own calls (the
// syscall buffer's, injected ones). The recorder installs the filter
// rewritten: each ERRNO becomes SECCOMP_RET_TRACE with the errno and a
// mark in its data, and at that stop the recorder makes the call fail
// with the errno itself, recorded as a call rewind refused (replay
// returns the error; it never installs the filter). ALLOW, LOG and the
// KILL actions are kept: a kill ends the thread or process, which is
// recorded as an end. TRAP, TRACE and USER_NOTIF, and actions computed at
// run time (RET A), are refused with an error naming them.

const (
	seccompSetModeFilter = 1  // seccomp(2) operation
	prSetSeccomp         = 22 // prctl option
	seccompModeStrict    = 1
	seccompModeFilter    = 2

	// Filter flags it may have: TSYNC, LOG, SPEC_ALLOW, TSYNC_ESRCH.
	seccompKnownFlags = 1 | 2 | 4 | 16

	retKillProcess = 0x80000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retUserNotif   = 0x7fc00000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000
	retActionFull  = 0xffff0000

	bpfRetK = 0x06 // BPF_RET | BPF_K
	bpfRetA = 0x16 // BPF_RET | BPF_A

	// deniedMark in a SECCOMP_RET_TRACE's data: the program's filter
	// denied the call, with the errno in the bits below (rewind's own
	// filter traces with data 0).
	deniedMark = 0x8000
)

// filterScratch is where the rewritten filter went in the tracee for the
// call, and what was there.
type filterScratch struct {
	addr  uint64
	saved []byte
}

// programFilter handles the entry of a call that installs a seccomp
// filter (regs: its registers; not rewind's own): it writes the rewritten
// filter below the stack's red zone and points the call at it. Other
// modes are refused.
func (r *recording) programFilter(t *task, regs unix.PtraceRegs) error {
	nr := regs.Orig_rax
	switch {
	case nr == unix.SYS_SECCOMP && regs.Rdi == seccompSetModeFilter:
		if regs.Rsi&^seccompKnownFlags != 0 {
			return r.refuseFilter(fmt.Sprintf("with flags %#x (a listener for SECCOMP_RET_USER_NOTIF?)", regs.Rsi))
		}
	case nr == unix.SYS_PRCTL && regs.Rdi == prSetSeccomp && regs.Rsi == seccompModeFilter:
	case nr == unix.SYS_PRCTL && regs.Rdi == prSetSeccomp && regs.Rsi == seccompModeStrict,
		nr == unix.SYS_SECCOMP && regs.Rdi == 0:
		return r.refuseFilter("in strict mode, which allows only read, write and exit: the syscall buffer's calls would kill it")
	default:
		return nil // another operation, or one that will fail
	}
	var fprog [16]byte // struct sock_fprog: len u16, filter pointer
	if t.ReadMem(regs.Rdx, fprog[:]) != nil {
		return nil // the call fails with EFAULT
	}
	n := int(binary.LittleEndian.Uint16(fprog[0:]))
	if n == 0 || n > 4096 {
		return nil // EINVAL
	}
	insns := make([]byte, 8*n)
	if t.ReadMem(binary.LittleEndian.Uint64(fprog[8:]), insns) != nil {
		return nil
	}
	if err := rewriteFilter(insns); err != nil {
		return r.refuseFilter(err.Error())
	}
	at := (regs.Rsp - trace.RedZone - uint64(len(insns)) - 16) &^ 15
	binary.LittleEndian.PutUint64(fprog[8:], at+16)
	image := append(fprog[:], insns...)
	saved := make([]byte, len(image))
	if err := t.ReadMem(at, saved); err != nil {
		return err
	}
	if err := t.WriteMem(at, image); err != nil {
		return err
	}
	t.filter = &filterScratch{addr: at, saved: saved}
	r.programFilters = true
	regs.Rdx = at
	return t.SetRegs(&regs)
}

func isExit(nr uint64) bool { return nr == unix.SYS_EXIT || nr == unix.SYS_EXIT_GROUP }

func (r *recording) refuseFilter(why string) error {
	return &UnsupportedError{Frame: r.w.Frames, What: "the program installs a seccomp filter " + why + ", which rewind cannot record"}
}

// rewriteFilter turns the ERRNO returns of a classic BPF seccomp program
// into marked TRACE returns, in place.
func rewriteFilter(insns []byte) error {
	le := binary.LittleEndian
	for i := 0; i < len(insns); i += 8 {
		switch le.Uint16(insns[i:]) {
		case bpfRetA:
			return fmt.Errorf("whose action is computed (BPF_RET|BPF_A)")
		case bpfRetK:
			k := le.Uint32(insns[i+4:])
			switch k & retActionFull {
			case retErrno:
				le.PutUint32(insns[i+4:], retTrace|deniedMark|min(k&0xffff, 4095))
			case retTrap:
				return fmt.Errorf("that answers with SIGSYS (SECCOMP_RET_TRAP)")
			case retTrace:
				return fmt.Errorf("that hands calls to a tracer (SECCOMP_RET_TRACE)")
			case retUserNotif:
				return fmt.Errorf("that hands calls to a supervisor (SECCOMP_RET_USER_NOTIF)")
			}
		}
	}
	return nil
}

// programFilterDone puts back the stack the rewritten filter used and
// the call's pointer to it, at the call's exit (registers after).
func (r *recording) programFilterDone(t *task, after *unix.PtraceRegs) error {
	s := t.filter
	t.filter = nil
	if err := t.WriteMem(s.addr, s.saved); err != nil {
		return err
	}
	after.Rdx = t.entry.Rdx
	return t.SetRegs(after)
}

// programDenied handles a seccomp stop of a call the program's filter
// denies; it reports false for another stop (rewind's filter's). In the
// library's untraced call it fails the call there (the library records
// the result); else the call is skipped and fails at its exit
// (syscallExit, t.denied), its entry recorded as any other's.
func (r *recording) programDenied(t *task) (bool, error) {
	msg, err := t.EventMsg()
	if err != nil || msg&deniedMark == 0 {
		return false, err
	}
	errno := msg &^ deniedMark
	regs, err := t.Regs()
	if err != nil {
		return true, err
	}
	if regs.Rip == preload.UntracedIP {
		regs.Orig_rax, regs.Rax = ^uint64(0), -errno
		return true, t.SetRegs(&regs)
	}
	if !t.inSyscall {
		// The entry, with rewind's filter (without it, the entry stop
		// came first).
		if err := r.syscallEntry(t); err != nil || !t.inSyscall || isExit(t.entry.Orig_rax) {
			return true, err // an exit is resumed already
		}
		if regs, err = t.Regs(); err != nil {
			return true, err
		}
	}
	if t.restart || t.disabled || regs.Orig_rax == ^uint64(0) {
		return true, nil // skipped already
	}
	t.denied = errno
	regs.Orig_rax = ^uint64(0)
	return true, t.SetRegs(&regs)
}
