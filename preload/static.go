package preload

import (
	"bytes"
	"debug/elf"
	_ "embed"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// StaticLibrary is the library's static variant (csrc/preload.c built with
// -DRW_STATIC), which rewind loads itself into every program it starts
// (Start): it buffers the calls of the dynamic linker, of programs that
// have none (Go's), and of libc (librewind_preload asks it to patch
// libc). It finds a thread's slot through %gs instead of TLS.
//
//go:embed librewind_static.so
var StaticLibrary []byte

// StaticBase is where the static variant is loaded: in the region, which
// memory digests leave out.
const StaticBase = Region + 0x10000

// Process is what loading needs of a stopped tracee (a *tracee.Proc).
type Process interface {
	Inject(nr uint64, args ...uint64) (int64, error)
	WriteMem(addr uint64, data []byte) error
	RunFunction(regs unix.PtraceRegs, trap uint64, onCall func(*unix.PtraceRegs) (bool, int64, error)) (unix.PtraceRegs, error)
}

type staticImage struct {
	segs    []*elf.Prog
	size    uint64 // bytes mapped from StaticBase
	start   uint64 // rw_static_start
	noSlot  uint64 // rw_noslot
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
		case "rw_noslot":
			img.noSlot = StaticBase + s.Value
		}
	}
	if img.start == 0 || img.noSlot == 0 || img.size == 0 || StaticBase+img.size > Slots {
		return nil, fmt.Errorf("the static syscall buffer library lacks its entry or does not fit (%#x bytes)", img.size)
	}
	return img, nil
})

// Start loads the static variant into p, stopped just after an exec with
// registers regs, and runs its set-up: the code page, the thread's slot
// (register answers the registration, as the recorder or replay does),
// the filter, and the patching of text, the executable mapping the exec
// starts in (the dynamic linker, or, with program set, a static program,
// whose generic sites are patched too). It returns the
// thread's %gs base after it, which points at its slot; the thread's
// other registers are to be put back. Recording and replay run it alike,
// before the exec's frame, which the debugger sees as the program's start.
func Start(p Process, regs unix.PtraceRegs, text [2]uint64, program bool, register func(*unix.PtraceRegs) (int64, error)) (uint64, error) {
	img, err := static()
	if err != nil {
		return 0, err
	}
	const anon = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE
	r, err := p.Inject(unix.SYS_MMAP, StaticBase, img.size, unix.PROT_READ|unix.PROT_WRITE, anon, ^uint64(0), 0)
	if err != nil || uint64(r) != StaticBase {
		return 0, fmt.Errorf("mapping the static syscall buffer library: %v", errOr(err, r))
	}
	for _, s := range img.segs {
		if s.Filesz == 0 {
			continue
		}
		if err := p.WriteMem(StaticBase+s.Vaddr, img.content[s.Off:s.Off+s.Filesz]); err != nil {
			return 0, fmt.Errorf("writing the static syscall buffer library: %w", err)
		}
	}
	for _, s := range img.segs {
		prot := uint64(0)
		if s.Flags&elf.PF_R != 0 {
			prot |= unix.PROT_READ
		}
		if s.Flags&elf.PF_W != 0 {
			prot |= unix.PROT_WRITE
		}
		if s.Flags&elf.PF_X != 0 {
			prot |= unix.PROT_EXEC
		}
		start, end := s.Vaddr&^4095, (s.Vaddr+s.Memsz+4095)&^4095
		if r, err := p.Inject(unix.SYS_MPROTECT, StaticBase+start, end-start, prot); err != nil || r != 0 {
			return 0, fmt.Errorf("protecting the static syscall buffer library: %v", errOr(err, r))
		}
	}
	run := regs
	run.Rip, run.R12, run.R13, run.R14, run.R15 = img.start, Region+TrapOff, text[0], text[1], 0
	if program {
		run.R15 = 1 // every generic syscall site is patched
	}
	after, err := p.RunFunction(run, Region+TrapOff, func(e *unix.PtraceRegs) (bool, int64, error) {
		if e.Orig_rax != SysRegister {
			return false, 0, nil
		}
		res, err := register(e)
		return true, res, err
	})
	if err != nil {
		return 0, fmt.Errorf("setting up the syscall buffer: %w", err)
	}
	return after.Gs_base, nil
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
// static variant starts with: a block without a slot, so that its first
// buffered call takes one of its own. ok is false when gs, the base the
// thread inherited, is not the variant's.
func NewThreadGS(gs uint64) (uint64, bool) {
	img, err := static()
	if err != nil || !InRegion(gs) {
		return 0, false
	}
	return img.noSlot, true
}

func errOr(err error, r int64) error {
	if err != nil {
		return err
	}
	if r < 0 && r > -4096 {
		return unix.Errno(-r)
	}
	return fmt.Errorf("the call returned %#x", r)
}
