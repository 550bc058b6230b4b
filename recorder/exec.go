package recorder

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

// captureExec is called at the first stop after a program image was
// loaded. It makes the image recordable (trapped rdtsc/cpuid, vDSO
// hidden) and records what replay needs to reproduce the initial state
// exactly: registers, the whole initial stack (argv, envp, auxv and the
// AT_RANDOM bytes), and copies of the executable and its interpreter.
func (r *recording) captureExec(task *task) (*trace.Frame, error) {
	t := task.Proc
	regs, err := t.Regs()
	if err != nil {
		return nil, err
	}
	maps, err := tracee.ReadMaps(t.Pid)
	if err != nil {
		return nil, err
	}
	stack := tracee.FindMapping(maps, regs.Rsp)
	if stack == nil {
		return nil, fmt.Errorf("exec: stack pointer %#x is not mapped", regs.Rsp)
	}
	img := make([]byte, stack.End-regs.Rsp)
	if err := t.ReadMem(regs.Rsp, img); err != nil {
		return nil, fmt.Errorf("exec: reading the initial stack: %w", err)
	}
	if err := hideVDSO(t, regs.Rsp, img); err != nil {
		return nil, err
	}
	exe, err := readlinkProc(t.Pid, "exe")
	if err != nil {
		return nil, err
	}
	// The set-up runs below the stack pointer: img stays the stack's.
	preloaded, err := r.startBuffer(task, &regs, maps, exe)
	if err != nil {
		return nil, err
	}
	if !preloaded { // else the set-up made them fault
		if err := t.TrapInstructions(r.cpuidTrap); err != nil {
			return nil, err
		}
	}
	exeFile, _, err := r.files.save(fmt.Sprintf("/proc/%d/exe", t.Pid), exe, false)
	if err != nil {
		return nil, err
	}
	f := &trace.Frame{Kind: trace.KindExec, Tid: int32(t.Pid), Regs: regs, Exe: exe, ExeFile: exeFile,
		Mem: []trace.MemWrite{{Addr: regs.Rsp, Data: img}}, CPU: int32(task.cpu)}
	if preloaded {
		f.Flags |= trace.FlagPreloaded
	}
	seen := map[string]bool{exe: true}
	for _, m := range maps {
		if m.Inode == 0 || seen[m.Path] || m.Path == "" || m.Path[0] != '/' {
			continue
		}
		seen[m.Path] = true
		name, _, err := r.files.save(fmt.Sprintf("/proc/%d/map_files/%x-%x", t.Pid, m.Start, m.End), m.Path, false)
		if err != nil {
			return nil, err
		}
		f.Files = append(f.Files, trace.Mapping{File: name, Path: m.Path})
	}
	return f, nil
}

// startBuffer runs the set-up of the syscall buffer's library
// (preload.Start) in t, just after an exec of exe with registers regs: it
// patches the code the exec starts in (the dynamic linker, or a static
// program) and takes the thread's slot. It returns whether it ran; regs
// get the thread's %gs base after it.
func (r *recording) startBuffer(t *task, regs *unix.PtraceRegs, maps []tracee.Mapping, exe string) (bool, error) {
	text := tracee.FindMapping(maps, regs.Rip)
	if r.opts.NoSyscallBuffer || text == nil {
		return false, nil
	}
	// A filter before the set-up is rewind's, inherited (t.buf.filtered),
	// or not rewind's (it runs in a container): the library then installs
	// none, and every call stops in ptrace as without a filter.
	unfiltered := !t.buf.filtered && !tracee.SeccompFiltered(t.Pid)
	gs, err := preload.Start(t.Proc, *regs, [2]uint64{text.Start, text.End}, text.Path == exe, r.cpuidTrap, true, func(e *unix.PtraceRegs) (int64, error) {
		return r.registerSlot(t, e)
	})
	if err != nil {
		return false, err
	}
	regs.Gs_base = gs
	if err := t.SetRegs(regs); err != nil {
		return false, err
	}
	if unfiltered && tracee.SeccompFiltered(t.Pid) {
		r.filtered(t.tgid) // the library installed rewind's
	}
	return true, nil
}

// hideVDSO turns AT_SYSINFO_EHDR in the auxv into AT_IGNORE, so libc and
// the Go runtime make real (recorded) syscalls for the time instead of
// reading it from the vDSO. img is the initial stack from sp on (argc,
// argv, envp, auxv…); the change is made in it too.
func hideVDSO(t *tracee.Proc, sp uint64, img []byte) error {
	word := func(off int) (uint64, error) {
		if off < 0 || off+8 > len(img) {
			return 0, fmt.Errorf("exec: the initial stack ends before the auxiliary vector does")
		}
		return binary.LittleEndian.Uint64(img[off:]), nil
	}
	argc, err := word(0)
	if err != nil {
		return err
	}
	if argc > uint64(len(img)/8) {
		return fmt.Errorf("exec: argc %d is beyond the initial stack", argc)
	}
	off := 8 * (int(argc) + 2) // skip argc, argv[], NULL
	for {                      // envp[], NULL
		v, err := word(off)
		if err != nil {
			return err
		}
		off += 8
		if v == 0 {
			break
		}
	}
	for {
		typ, err := word(off)
		if err != nil {
			return err
		}
		if typ == arch.AT_NULL {
			return nil
		}
		if typ == arch.AT_SYSINFO_EHDR {
			binary.LittleEndian.PutUint64(img[off:], arch.AT_IGNORE)
			if err := t.WriteMem(sp+uint64(off), img[off:off+8]); err != nil {
				return err
			}
		}
		off += 16
	}
}
