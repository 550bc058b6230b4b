package tracee

// The signal frame's saved context (struct sigcontext of the kernel's
// rt_sigframe): at a handler's first instruction, the stack pointer
// points at the return address, followed by the ucontext, whose machine
// context starts after its flags, link and stack (40 bytes).
const (
	sigcontextOff = 8 + 40
	scErr         = sigcontextOff + 19*8 // err, then trapno
	scCR2         = sigcontextOff + 22*8
)

// ClearFaultInfo zeroes the fault information (error code, trap number,
// faulting address) in the signal frame of t, stopped at its handler's
// first instruction. The kernel copies it there from the thread's last
// trap; for a signal that is no fault of the program that trap was a
// tracer's single step or breakpoint, which differ between recording and
// replay, and the frame stays in memory that is digested.
func (t *Proc) ClearFaultInfo() error {
	regs, err := t.Regs()
	if err != nil {
		return err
	}
	var zero [16]byte
	if err := t.WriteMem(regs.Rsp+scErr, zero[:]); err != nil {
		return err
	}
	return t.WriteMem(regs.Rsp+scCR2, zero[:8])
}
