package preload

import (
	"bytes"
	"debug/elf"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"rewind/trace"
	"rewind/tracee"
)

// StaticLibrary is the syscall buffer's library (csrc/preload.c), which
// rewind loads itself into every program it starts (Start): it buffers
// the calls of the dynamic linker, of programs that have none (Go's), and
// of libc (PatchText). It has no relocations and no TLS, and finds a
// thread's slot through %gs.
//
//go:embed librewind_static.so
var StaticLibrary []byte

// StaticBase is where the library is loaded: in the region, which
// memory digests leave out.
const StaticBase = Region + 0x10000

// Process is what loading needs of a stopped tracee (a *tracee.Proc).
type Process interface {
	Inject(nr uint64, args ...uint64) (int64, error)
	WriteMem(addr uint64, data []byte) error
	RunCode(regs unix.PtraceRegs, trap, call uint64, onCall func(*unix.PtraceRegs) (int64, error)) (unix.PtraceRegs, error)
	SetRegs(*unix.PtraceRegs) error
}

type staticImage struct {
	segs    []*elf.Prog
	size    uint64 // bytes mapped from StaticBase
	start   uint64 // rw_static_start
	patch   uint64 // rw_static_patch
	noSlot  uint64 // rw_noslot
	ret     uint64 // rw_return
	content []byte
}

var static = sync.OnceValues(func() (*staticImage, error) {
	f, err := elf.NewFile(bytes.NewReader(StaticLibrary))
	if err != nil {
		return nil, fmt.Errorf("the static syscall buffer library: %w", err)
	}
	img := &staticImage{content: StaticLibrary}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			img.segs = append(img.segs, p)
			img.size = max(img.size, (p.Vaddr+p.Memsz+4095)&^4095)
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("the static syscall buffer library: %w", err)
	}
	for _, s := range syms {
		switch s.Name {
		case "rw_static_start":
			img.start = StaticBase + s.Value
		case "rw_static_patch":
			img.patch = StaticBase + s.Value
		case "rw_noslot":
			img.noSlot = StaticBase + s.Value
		case "rw_return":
			img.ret = StaticBase + s.Value
		}
	}
	if img.start == 0 || img.patch == 0 || img.noSlot == 0 || img.ret == 0 || img.size == 0 || StaticBase+img.size > Slots {
		return nil, fmt.Errorf("the static syscall buffer library lacks its entry or does not fit (%#x bytes)", img.size)
	}
	return img, nil
})

// Start loads the library into p, stopped just after an exec with
// registers regs, and runs its set-up: the code page, the thread's slot
// (register answers the registration, as the recorder or replay does),
// the filter, and the patching of text, the executable mapping the exec
// starts in (the dynamic linker, or, with program set, a static program,
// whose generic sites are patched too). It also makes rdtsc and rdtscp
// fault, and CPUID with cpuid set (as tracee.TrapInstructions does, with
// injected calls that cost a few hundred µs an exec). It returns the
// thread's %gs base after it, which points at its slot; the thread's
// other registers are to be put back. Recording and replay run it alike,
// before the exec's frame, which the debugger sees as the program's start.
// v10 is set for recordings of format 10 on (startV10).
func Start(p Process, regs unix.PtraceRegs, text [2]uint64, program, cpuid, v10 bool, register func(*unix.PtraceRegs) (int64, error)) (uint64, error) {
	img, err := static()
	if err != nil {
		return 0, err
	}
	// One mapping from the code page to the image's end, which the set-up
	// divides and protects itself: injected calls cost ptrace stops.
	const anon = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE
	r, err := p.Inject(unix.SYS_MMAP, Region, StaticBase+img.size-Region, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, anon, ^uint64(0), 0)
	if err != nil || uint64(r) != Region {
		return 0, fmt.Errorf("mapping the static syscall buffer library: %v", tracee.CallError(err, r))
	}
	for _, s := range img.segs {
		if s.Filesz == 0 {
			continue
		}
		if err := p.WriteMem(StaticBase+s.Vaddr, img.content[s.Off:s.Off+s.Filesz]); err != nil {
			return 0, fmt.Errorf("writing the static syscall buffer library: %w", err)
		}
	}
	run := regs
	run.Rip, run.R12, run.R13, run.R14, run.R15 = img.start, Region+TrapOff, text[0], text[1], startTrapTSC
	if program {
		run.R15 |= startProgram
	}
	if cpuid {
		run.R15 |= startTrapCPUID
	}
	if v10 {
		run.R15 |= startV10
	}
	after, err := p.RunCode(run, Region+TrapOff, Region+CallOff, func(e *unix.PtraceRegs) (int64, error) {
		if e.Rax != SysRegister {
			return 0, fmt.Errorf("the syscall buffer's set-up made an unknown call %#x", e.Rax)
		}
		return register(e)
	})
	if err != nil {
		return 0, fmt.Errorf("setting up the syscall buffer: %w", err)
	}
	if after.R15&startTrapsSet == 0 {
		return 0, errors.New("setting up the syscall buffer: rdtsc (or CPUID) could not be made to fault")
	}
	return after.Gs_base, nil
}

// ReturnAddr is where a program leaves the library after each call it
// made through it (rw_return), once per call; 0 if the library is not
// usable.
func ReturnAddr() uint64 {
	img, err := static()
	if err != nil {
		return 0
	}
	return img.ret
}

// IsLibcText tells whether an mmap of m (nil: anonymous) with protection
// prot maps libc's code, which PatchText patches.
func IsLibcText(m *trace.Mapping, prot uint64) bool {
	return m != nil && prot&unix.PROT_EXEC != 0 && IsLibc(m.Path)
}

// IsLibc tells whether the file at path is libc, whose code the library
// patches.
func IsLibc(path string) bool {
	name := filepath.Base(path) // libc-2.31.so before glibc 2.34
	return name == "libc.so.6" || strings.HasPrefix(name, "libc-") && strings.HasSuffix(name, ".so")
}

// PatchText has the library, loaded in p by Start, patch the syscall
// sites of libc's text [start, end), just mapped: p stopped with registers
// regs, which it gets back. Recording and replay do it at the same mmap
// (trace.FlagPatched).
func PatchText(p Process, regs unix.PtraceRegs, start, end uint64) error {
	img, err := static()
	if err != nil {
		return err
	}
	run := regs
	run.Rip, run.R12, run.R13, run.R14 = img.patch, Region+TrapOff, start, end
	if _, err := p.RunCode(run, Region+TrapOff, Region+CallOff, func(e *unix.PtraceRegs) (int64, error) {
		return 0, fmt.Errorf("patching libc made an unknown call %#x", e.Rax)
	}); err != nil {
		return fmt.Errorf("patching libc's syscalls: %w", err)
	}
	return p.SetRegs(&regs)
}

// Thread is what ResetThreadGS needs of a stopped thread (a *tracee.Proc).
type Thread interface {
	Regs() (unix.PtraceRegs, error)
	SetRegs(*unix.PtraceRegs) error
}

// ResetThreadGS points the %gs of p, a thread just created with
// CLONE_THREAD, at a block without a slot if it inherited the static
// variant's from its creator, so that it takes a slot of its own. The
// recorder and replay both do it before the thread first runs.
func ResetThreadGS(p Thread) error {
	regs, err := p.Regs()
	if err != nil {
		return err
	}
	gs, ok := NewThreadGS(regs.Gs_base)
	if !ok {
		return nil
	}
	regs.Gs_base = gs
	return p.SetRegs(&regs)
}

// NewThreadGS returns the %gs base a new thread of a process running the
// library starts with: a block without a slot, so that its first
// buffered call takes one of its own. ok is false when gs, the base the
// thread inherited, is not the variant's.
func NewThreadGS(gs uint64) (uint64, bool) {
	img, err := static()
	if err != nil || !InRegion(gs) {
		return 0, false
	}
	return img.noSlot, true
}
