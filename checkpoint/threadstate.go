package checkpoint

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"rewind/tracee"
)

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
