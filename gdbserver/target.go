package gdbserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"rewind/arch"
)

// Direction is the direction of execution of a resume request.
type Direction int

const (
	Forward Direction = iota
	Reverse
)

func (d Direction) String() string {
	if d == Reverse {
		return "reverse"
	}
	return "forward"
}

// Action is one resume request.
type Action struct {
	Dir  Direction
	Step bool // one instruction of thread Tid (else continue)
	// Tid is the thread to step, or the thread whose signal is delivered;
	// -1 means all threads (continue).
	Tid int
	// Signal is the Linux signal number to deliver to Tid as it resumes
	// (0 for none).
	Signal int
}

// StopKind says why the target stopped.
type StopKind int

const (
	StopSignal      StopKind = iota // Signal was received (SIGTRAP after a step)
	StopSWBreak                     // software breakpoint (Z0) at the thread's pc
	StopHWBreak                     // hardware breakpoint (Z1)
	StopWatch                       // write watchpoint (Z2) at Addr
	StopRWatch                      // read watchpoint (Z3) at Addr
	StopAWatch                      // access watchpoint (Z4) at Addr
	StopExited                      // the process exited with Status
	StopKilled                      // the process was terminated by Signal
	StopReplayBegin                 // reached the start of the recording (going backwards)
	StopReplayEnd                   // reached the end of the recording (going forwards)
)

var stopKindNames = [...]string{"signal", "swbreak", "hwbreak", "watch", "rwatch", "awatch", "exited",
	"killed", "replay-begin", "replay-end"}

func (k StopKind) String() string {
	if int(k) >= 0 && int(k) < len(stopKindNames) {
		return stopKindNames[k]
	}
	return fmt.Sprintf("StopKind(%d)", int(k))
}

// Stop is where and why the target stopped. Signal is a Linux signal
// number; for breakpoints and watchpoints 0 means SIGTRAP, for
// StopReplayEnd 0 means SIGKILL (what rr reports, so clients let the user
// go back) and for StopReplayBegin it stays 0.
type Stop struct {
	Kind   StopKind
	Tid    int
	Signal int
	Addr   uint64 // data address of a watchpoint stop
	Status int    // exit status for StopExited
}

// BreakKind is the type of a Z/z request.
type BreakKind int

const (
	BreakSoftware    BreakKind = iota // Z0
	BreakHardware                     // Z1
	BreakWatchWrite                   // Z2
	BreakWatchRead                    // Z3
	BreakWatchAccess                  // Z4
)

func (k BreakKind) String() string {
	switch k {
	case BreakSoftware:
		return "software"
	case BreakHardware:
		return "hardware"
	case BreakWatchWrite:
		return "write watchpoint"
	case BreakWatchRead:
		return "read watchpoint"
	case BreakWatchAccess:
		return "access watchpoint"
	}
	return fmt.Sprintf("BreakKind(%d)", int(k))
}

// File is an open file of the replayed program, read by the client
// through vFile (so it reads binaries as recorded). *os.File is one.
type File interface {
	io.ReaderAt
	// Stat describes the file; Sys() may be a *syscall.Stat_t, which
	// fills in the device, inode and times of vFile:fstat.
	Stat() (fs.FileInfo, error)
	Close() error
}

// Region is the memory mapping that contains an address, or the gap up to
// the next mapping (Mapped false) for qMemoryRegionInfo.
type Region struct {
	Start, Size uint64
	Mapped      bool
	Read        bool
	Write       bool
	Exec        bool
	Name        string // file name of the mapping, or "[stack]" etc.
}

// Library is one entry of the dynamic linker's link map
// (qXfer:libraries-svr4:read). The main program's entry (empty Name) is
// reported as the list's main-lm rather than as a library.
type Library struct {
	Name string
	LM   uint64 // address of the struct link_map
	Addr uint64 // l_addr: load bias
	LD   uint64 // l_ld: address of the dynamic section
	// LMID identifies the linker namespace (the address of its r_debug);
	// 0 for the default one. gdb 13 requires the attribute.
	LMID uint64
}

// Target is what the server debugs: a replay (or, in tests, a fake). It
// knows nothing of the protocol. The server calls it from one goroutine
// at a time, except that Resume's context is cancelled from another.
type Target interface {
	Pid() int
	// Threads lists the live threads; the first is the main thread.
	Threads() []int
	// ExecFile is the absolute path the client should use for the
	// executable.
	ExecFile() string
	Registers(tid int) (*arch.RegisterSet, error)
	// ReadMemory reads at addr into buf, with the target's own
	// breakpoints hidden, and returns how many bytes it could read.
	ReadMemory(addr uint64, buf []byte) (int, error)
	Auxv() ([]byte, error)
	// SetBreakpoint and ClearBreakpoint take the Z/z kind, the address
	// and the length (1 for x86 software breakpoints, the watched size
	// for watchpoints). ErrUnsupported makes the reply empty so the
	// client falls back (e.g. to software watchpoints).
	SetBreakpoint(k BreakKind, addr uint64, size int) error
	ClearBreakpoint(k BreakKind, addr uint64, size int) error
	// Resume runs until the next stop. When ctx is cancelled (the client
	// sent an interrupt) it must return promptly: a Stop with SIGINT, or
	// an error wrapping context.Canceled (reported as SIGINT at the
	// current thread).
	Resume(ctx context.Context, a Action) (Stop, error)
	// Restart goes back to a point of the replay: arg is the vRun
	// argument after the executable: "" the start, "cN" checkpoint N, "N"
	// event N (rr's forms). It returns the stop to report there.
	Restart(arg string) (Stop, error)
	// Monitor runs a command of qRcmd ("monitor when") or qRRCmd
	// (name and arguments joined by spaces) and returns its text output.
	Monitor(cmd string) (string, error)
	// OpenFile opens a file for reading (vFile:open).
	OpenFile(path string) (File, error)
	MemoryRegion(addr uint64) (Region, error)
	// Libraries may return ErrUnsupported; the feature is then not
	// advertised.
	Libraries() ([]Library, error)
	// Reverse says whether reverse execution is available
	// (ReverseContinue+/ReverseStep+ are advertised).
	Reverse() bool
	// HasAVX says whether the recording CPU had AVX (ymm registers).
	HasAVX() bool
}

// SiginfoReader is implemented by targets that know the siginfo_t of the
// last signal of a thread (qXfer:siginfo:read, gdb's $_siginfo). Without
// it the server reads zeros.
type SiginfoReader interface {
	Siginfo(tid int) ([]byte, error)
}

// Sentinel errors of the server and of targets.
var (
	// ErrUnsupported: the target cannot do this at all; the reply is
	// empty, the protocol's "not supported".
	ErrUnsupported = errors.New("not supported by this target")
	// ErrReverseUnsupported: reverse execution was requested of a target
	// that has none.
	ErrReverseUnsupported = errors.New("reverse execution is not supported")
	// ErrWriteRefused: memory and register writes change the past and
	// are refused during replay.
	ErrWriteRefused = errors.New("writes to memory and registers are refused during replay")
	// ErrNoThread: a packet named a thread that does not exist.
	ErrNoThread = errors.New("no such thread")
	// ErrExited: the process has exited; only restart or kill make sense.
	ErrExited = errors.New("the process has exited")
	// ErrBusy: Serve was called while another client is being served.
	ErrBusy = errors.New("another debugger is already connected")
	// ErrKilled: the client killed the target (k or vKill); Serve
	// returns it so the caller can end the replay.
	ErrKilled = errors.New("killed by the debugger")
)
