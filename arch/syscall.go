package arch

import "fmt"

// Policy says how a syscall is recorded and replayed.
type Policy uint8

const (
	// Emulate: at replay the kernel skips the call; its result and the
	// memory it wrote come from the trace.
	Emulate Policy = iota
	// Execute: the call shapes the address space, the signal state or the
	// task itself, so replay runs it again and checks its result.
	Execute
	// Disable: the recorder makes the call fail with ENOSYS (the program
	// copes, e.g. rseq); replay emulates that failure.
	Disable
	// Unsupported: recording stops with an error naming the call.
	Unsupported
)

func (p Policy) String() string {
	switch p {
	case Emulate:
		return "emulate"
	case Execute:
		return "execute"
	case Disable:
		return "disable"
	case Unsupported:
		return "unsupported"
	}
	return fmt.Sprintf("Policy(%d)", p)
}

// Range is a span of tracee memory.
type Range struct {
	Addr, Len uint64
}

// MemReader reads tracee memory; syscall rules use it to follow pointers
// (iovec arrays, msghdr, …) when computing what a call wrote.
type MemReader interface {
	ReadMem(addr uint64, buf []byte) error
}

// Call is one completed syscall as seen at its exit.
type Call struct {
	Nr     uint64
	Args   [6]uint64
	Result int64 // raw rax: negative errno on failure
	Mem    MemReader
}

// Syscall describes one x86-64 syscall.
type Syscall struct {
	Nr     uint64
	Name   string
	Policy Policy
	// Writes returns the user memory the kernel wrote during the call
	// (nil when it writes none). Called at syscall exit when recording.
	// An error means the recorder cannot know the effects (e.g. an unknown
	// ioctl request): recording stops with that error.
	Writes func(c *Call) ([]Range, error)
}
