package arch

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Flags of clone and clone3 that rewind looks at.
const (
	CloneVM         = 0x100
	CloneVfork      = 0x4000
	CloneParent     = 0x8000
	CloneThread     = 0x10000
	CloneSettls     = 0x80000
	CloneChildSetid = 0x01000000
)

// SyscallArgs returns the six syscall arguments in regs (x86-64 order).
func SyscallArgs(r *unix.PtraceRegs) [6]uint64 {
	return [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9}
}

// IsClone reports the calls that create a thread or process.
func IsClone(nr uint64) bool {
	return nr == unix.SYS_CLONE || nr == unix.SYS_CLONE3 || nr == unix.SYS_FORK || nr == unix.SYS_VFORK
}

// CloneFlags returns the flags of a clone, clone3, fork or vfork call and
// its child-tid pointer; clone3's are read from its struct clone_args
// {flags, pidfd, child_tid, …} through mem.
func CloneFlags(nr uint64, args [6]uint64, mem MemReader) (flags, childTid uint64) {
	switch nr {
	case unix.SYS_CLONE:
		return args[0], args[3]
	case unix.SYS_CLONE3:
		var b [24]byte
		if mem.ReadMem(args[0], b[:]) == nil {
			return binary.LittleEndian.Uint64(b[0:]), binary.LittleEndian.Uint64(b[16:])
		}
	case unix.SYS_VFORK:
		return CloneVM | CloneVfork, 0
	}
	return 0, 0
}
