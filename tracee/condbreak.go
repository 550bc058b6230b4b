package tracee

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CondBreak is a conditional breakpoint evaluated in the kernel: a
// hardware execute breakpoint on one thread, with a BPF program that
// compares the thread's registers with wanted ones on every hit and stops
// the thread (SIGSTOP) only when they all match. Hits that do not match
// cost a debug exception, not a ptrace stop (30–60x cheaper), which is
// what makes finding a soft-mode preemption point in a hot loop feasible.
type CondBreak struct {
	perf, prog int
}

// Registers compared, as indices of unix.PtraceRegs (and of the kernel's
// pt_regs, which has the same layout): the general registers, rip, rsp.
// orig_rax, eflags and the segments differ in a debug exception's frame.
var condRegs = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 19}

const (
	perfTypeBreakpoint = 5
	hwBreakpointX      = 4
	bpfProgTypePerf    = 7
	bpfProgLoad        = 5
	helperSendSignalTh = 117 // bpf_send_signal_thread
)

// NewCondBreak arms the breakpoint on thread tid at want.Rip.
func NewCondBreak(tid int, want *unix.PtraceRegs) (*CondBreak, error) {
	return newCondBreak(tid, want, condRegs)
}

func newCondBreak(tid int, want *unix.PtraceRegs, regs []int) (*CondBreak, error) {
	prog, err := loadMatcher(want, regs)
	if err != nil {
		return nil, fmt.Errorf("conditional breakpoint: loading its BPF program: %w", err)
	}
	attr := unix.PerfEventAttr{
		Type:   perfTypeBreakpoint,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample: 1,
		// disabled until the program is attached; user mode only
		Bits:    1 | 1<<5 | 1<<6,
		Bp_type: hwBreakpointX,
		Ext1:    want.Rip,
		Ext2:    8, // execute breakpoints have the size of a long
	}
	perf, err := unix.PerfEventOpen(&attr, tid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		unix.Close(prog)
		return nil, fmt.Errorf("conditional breakpoint: hardware breakpoint at %#x: %w", want.Rip, err)
	}
	c := &CondBreak{perf: perf, prog: prog}
	if err := unix.IoctlSetInt(perf, unix.PERF_EVENT_IOC_SET_BPF, prog); err != nil {
		c.Close()
		return nil, fmt.Errorf("conditional breakpoint: attaching its program: %w", err)
	}
	if err := unix.IoctlSetInt(perf, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
		c.Close()
		return nil, fmt.Errorf("conditional breakpoint: enabling it: %w", err)
	}
	return c, nil
}

// Close removes the breakpoint.
func (c *CondBreak) Close() {
	unix.Close(c.perf)
	unix.Close(c.prog)
}

// loadMatcher assembles and loads the program: for each compared
// register, load it from the context, compare with the wanted value and
// leave on a difference; when all match, signal the thread.
func loadMatcher(want *unix.PtraceRegs, regs []int) (int, error) {
	words := unsafe.Slice((*uint64)(unsafe.Pointer(want)), unsafe.Sizeof(*want)/8)
	var code []byte
	insn := func(op, dst, src uint8, off int16, imm int32) {
		var b [8]byte
		b[0], b[1] = op, dst|src<<4
		binary.LittleEndian.PutUint16(b[2:], uint16(off))
		binary.LittleEndian.PutUint32(b[4:], uint32(imm))
		code = append(code, b[:]...)
	}
	const perCompare = 4 // ldx, ld_imm64 (two slots), jne
	tail := 3            // mov r1, call, (out:) mov r0
	for i, r := range regs {
		insn(0x79, 2, 1, int16(8*r), 0)                  // r2 = *(u64 *)(r1 + 8*r)
		insn(0x18, 3, 0, 0, int32(uint32(words[r])))     // r3 = wanted (low half)
		insn(0x00, 0, 0, 0, int32(uint32(words[r]>>32))) // (high half)
		left := (len(regs)-1-i)*perCompare + tail - 1
		insn(0x5d, 2, 3, int16(left), 0) // if r2 != r3 goto out
	}
	insn(0xb7, 1, 0, 0, int32(unix.SIGSTOP)) // r1 = SIGSTOP
	insn(0x85, 0, 0, 0, helperSendSignalTh)  // bpf_send_signal_thread(r1)
	insn(0xb7, 0, 0, 0, 0)                   // out: r0 = 0
	insn(0x95, 0, 0, 0, 0)                   // exit
	license := []byte("GPL\x00")
	logBuf := make([]byte, 4096)
	attr := struct {
		progType, insnCnt     uint32
		insns, license        uint64
		logLevel, logSize     uint32
		logBuf                uint64
		kernVersion, progFlag uint32
	}{
		progType: bpfProgTypePerf, insnCnt: uint32(len(code) / 8),
		insns: uint64(uintptr(unsafe.Pointer(&code[0]))), license: uint64(uintptr(unsafe.Pointer(&license[0]))),
		logLevel: 1, logSize: uint32(len(logBuf)), logBuf: uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
	}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, bpfProgLoad, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		if n := clen(logBuf); n > 0 {
			return -1, fmt.Errorf("%w: %s", errno, logBuf[:n])
		}
		return -1, errno
	}
	return int(fd), nil
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}
