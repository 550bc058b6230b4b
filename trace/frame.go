package trace

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kind is the type of a frame.
type Kind uint8

const (
	// KindExec: a program image was loaded (the first frame of a process,
	// and every later execve). Regs hold the registers after the exec; Mem
	// holds the initial stack.
	KindExec Kind = iota + 1
	// KindSyscall: one syscall. Regs are at its entry; Result and Mem are
	// what it returned and wrote.
	KindSyscall
	// KindSignal: a signal was delivered to Tid, with Siginfo, at Regs.
	KindSignal
	// KindInsn: a trapped instruction (rdtsc, rdtscp, cpuid) was emulated;
	// Regs are before it, After after it.
	KindInsn
	// KindExit: the process ended with wait status Status (Tid is the
	// thread whose resumption ended it); with FlagThread, only thread Tid
	// ended, by its own exit call. Mem is what the kernel wrote into the
	// robust futexes the thread (or the process's threads) held.
	KindExit
	// KindEnter: thread Tid entered the syscall at Regs and the recorder
	// switched to other threads while it ran; the KindSyscall frame of Tid
	// that follows later completes it. Result is the new thread of a
	// clone (vfork) that was under way; Mem what the kernel wrote on the
	// way in (the waiters bit of a PI futex).
	KindEnter
	// KindPreempt: thread Tid was stopped between syscalls at Regs, with
	// Digest the SHA-256 of its process's writable memory there (soft
	// mode: replay finds the point by this fingerprint) and Stack the
	// bytes at the stack pointer (loop counters kept in memory).
	KindPreempt
	// KindBuffered: the syscalls thread Tid made through the syscall
	// buffer (package preload) since its previous frame, before its next
	// one. Mem loads them into its buffer slot for replay.
	KindBuffered
)

var kindNames = [...]string{KindExec: "exec", KindSyscall: "syscall", KindSignal: "signal", KindInsn: "insn", KindExit: "exit",
	KindEnter: "enter", KindPreempt: "preempt", KindBuffered: "buffered"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Flags qualify a frame.
type Flags uint8

const (
	// FlagRestart: the syscall was not run; it is re-executed after the
	// signal frame that follows (a signal deferred to a syscall boundary).
	FlagRestart Flags = 1 << iota
	// FlagSyncSignal: the signal comes from the instruction at Regs.Rip
	// (a fault), so replay reproduces it by running that instruction.
	FlagSyncSignal
	// FlagDisabled: the recorder made the syscall fail (arch.Disable).
	FlagDisabled
	// FlagStdout, FlagStderr: the call wrote to the file that was
	// rewind's stdout (stderr) when recording; autopilot replay echoes it.
	FlagStdout
	FlagStderr
	// FlagThread: a KindExit ends one thread, not its process.
	FlagThread
	// FlagPreloaded: at this exec the recorder loaded the syscall
	// buffer's library and ran its set-up (preload.Start); replay
	// does the same before putting back the registers.
	FlagPreloaded
	// FlagPatched: after this mmap of libc's text the recorder had the
	// syscall buffer's library patch it (preload.PatchText);
	// replay does the same.
	FlagPatched
)

// MemWrite is memory the kernel (or rewind) wrote into the tracee.
type MemWrite struct {
	Addr uint64
	Data []byte
}

// Mapping describes a file mapped by mmap, copied into files/.
type Mapping struct {
	File   string // name under files/
	Path   string // original path
	Offset uint64 // file offset of the mapping
	Size   uint64 // file size when mapped
}

// Frame is one recorded event. Which fields are used depends on Kind.
type Frame struct {
	Kind  Kind
	Flags Flags
	Tid   int32
	Regs  unix.PtraceRegs
	// KindSyscall
	Nr     uint64
	Result int64
	Mem    []MemWrite
	Map    *Mapping // file-backed mmap
	// KindExec
	Exe     string    // path of the program as the kernel saw it
	ExeFile string    // copy under files/
	Files   []Mapping // other files mapped by the kernel at exec (the ELF interpreter)
	// CPU the process is pinned to from this exec on; -1 in traces before
	// version 8, where every process ran on Header.PinnedCPU.
	CPU int32
	// KindSignal
	Signo   int32
	Siginfo []byte
	// KindInsn
	After unix.PtraceRegs
	// KindExit
	Status int32 // wait status
	// KindPreempt
	Digest []byte
	Stack  []byte // the words at Regs.Rsp-RedZone then: a cheap first test of memory
}

// RedZone is how far below the stack pointer a preemption's Stack starts:
// leaf functions keep their locals there (the x86-64 ABI's red zone).
const RedZone = 128

const regsSize = int(unsafe.Sizeof(unix.PtraceRegs{}))

const (
	maxMemWrites = 1 << 20
	maxMemData   = 1 << 32
	maxString    = 1 << 16
)

func appendRegs(b []byte, r *unix.PtraceRegs) []byte {
	return append(b, unsafe.Slice((*byte)(unsafe.Pointer(r)), regsSize)...)
}

func appendBytes(b, data []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

func appendMem(b []byte, ws []MemWrite) []byte {
	b = binary.AppendUvarint(b, uint64(len(ws)))
	for _, w := range ws {
		b = binary.AppendUvarint(b, w.Addr)
		b = appendBytes(b, w.Data)
	}
	return b
}

// AppendFrame encodes f after b.
func AppendFrame(b []byte, f *Frame) []byte {
	b = append(b, byte(f.Kind), byte(f.Flags))
	b = binary.AppendVarint(b, int64(f.Tid))
	b = appendRegs(b, &f.Regs)
	switch f.Kind {
	case KindSyscall:
		b = binary.AppendUvarint(b, f.Nr)
		b = binary.AppendVarint(b, f.Result)
		b = appendMem(b, f.Mem)
		if f.Map == nil {
			b = append(b, 0)
		} else {
			b = append(b, 1)
			b = appendBytes(b, []byte(f.Map.File))
			b = appendBytes(b, []byte(f.Map.Path))
			b = binary.AppendUvarint(b, f.Map.Offset)
			b = binary.AppendUvarint(b, f.Map.Size)
		}
	case KindExec:
		b = appendBytes(b, []byte(f.Exe))
		b = appendBytes(b, []byte(f.ExeFile))
		b = binary.AppendUvarint(b, uint64(len(f.Files)))
		for _, m := range f.Files {
			b = appendBytes(b, []byte(m.File))
			b = appendBytes(b, []byte(m.Path))
		}
		b = appendMem(b, f.Mem)
		b = binary.AppendVarint(b, int64(f.CPU))
	case KindSignal:
		b = binary.AppendVarint(b, int64(f.Signo))
		b = appendBytes(b, f.Siginfo)
	case KindInsn:
		b = appendRegs(b, &f.After)
	case KindExit:
		b = binary.AppendVarint(b, int64(f.Status))
		b = appendMem(b, f.Mem)
	case KindEnter:
		b = binary.AppendUvarint(b, f.Nr)
		b = binary.AppendVarint(b, f.Result)
		b = appendMem(b, f.Mem)
	case KindPreempt:
		b = appendBytes(b, f.Digest)
		b = appendBytes(b, f.Stack)
	case KindBuffered:
		b = appendMem(b, f.Mem)
	}
	return b
}
