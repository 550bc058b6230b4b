package recorder

import (
	"encoding/binary"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

// archSetGS is arch_prctl's ARCH_SET_GS: the syscall buffer's static
// variant finds a thread's slot through %gs (preload), so a program that
// sets it (its own slot scheme, Wine) is recorded without the buffer.
const archSetGS = 0x1001

// unsupported lists calls rewind refuses to record, with the reason.
var unsupported = map[uint64]string{
	unix.SYS_SHMAT: "System V shared memory can be written by processes outside the recording",
}

func (r *recording) syscallEntry(t *task) error {
	regs, err := t.Regs()
	if err != nil {
		return err
	}
	if regs.Rip == preload.UntracedIP {
		// No filter lets it through (the program has its own): the
		// library records it itself.
		t.buf.untraced = true
		return nil
	}
	if nr := regs.Orig_rax; nr == unix.SYS_EXECVE || nr == unix.SYS_EXECVEAT || nr == unix.SYS_EXIT || nr == unix.SYS_EXIT_GROUP || arch.IsClone(nr) {
		// The buffer is gone after these, or copied into a child: its
		// calls are written now. Other calls' are written with the
		// call's own frame, next to it, as other processes' frames come
		// in between meanwhile.
		if err := r.flush(t, regs.Rip); err != nil {
			return err
		}
	}
	t.inSyscall, t.entry, t.disabled, t.restart, t.entered, t.boundary = true, regs, false, false, false, false
	t.denied = 0
	t.child = 0
	nr := regs.Orig_rax
	sc := arch.LookupSyscall(nr)
	if sc == nil {
		return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("unknown syscall number %d", nr)}
	}
	t.entryInfo = sc
	if why, ok := unsupported[nr]; ok {
		return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("the program called %s: %s", sc.Name, why)}
	}
	if nr == unix.SYS_ARCH_PRCTL && regs.Rdi == archSetGS && regs.Rip != preload.TracedIP && t.buf.slot != 0 {
		return &UnsupportedError{Frame: r.w.Frames, What: "the program sets %gs (arch_prctl ARCH_SET_GS), which the syscall buffer uses; record it with -n (--no-syscall-buffer)"}
	}
	if sc.Policy == arch.Unsupported {
		return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("the program called %s, which rewind cannot record", sc.Name)}
	}
	if nr == unix.SYS_MMAP {
		r.checkSharedMap(t, regs)
	}
	if nr == unix.SYS_SECCOMP || nr == unix.SYS_PRCTL && regs.Rdi == prSetSeccomp {
		if err := r.programFilter(t, regs); err != nil {
			return err
		}
	}
	if nr == unix.SYS_EXIT || nr == unix.SYS_EXIT_GROUP {
		return r.exitCall(t)
	}
	skip := false
	if t.deliverable() || t.stopSent {
		// Deliver the deferred signal (or take the preemption) before
		// this call: skip it now and re-run it afterwards. A signal the
		// thread blocks meanwhile (in another handler) waits for the
		// mask to open again.
		t.restart, skip = true, true
	} else if sc.Policy == arch.Disable || takesTraps(nr, &regs) {
		t.disabled, skip = true, true
	}
	if skip {
		regs.Orig_rax = ^uint64(0)
		return t.SetRegs(&regs)
	}
	if !r.opts.Serial && isWrite(nr) && r.outputFlag(t, int32(regs.Rdi)) != 0 {
		r.takeOutput(t)
	}
	return nil
}

// exitCall records exit and exit_group at their entry: they do not
// return. The thread's (or process's) end is recorded when it is gone.
func (r *recording) exitCall(t *task) error {
	if err := r.write(&trace.Frame{Kind: trace.KindSyscall, Tid: int32(t.Pid), Regs: t.entry, Nr: t.entry.Orig_rax}); err != nil {
		return err
	}
	group := t.entry.Orig_rax == unix.SYS_EXIT_GROUP || !r.hasOtherThreads(t)
	if !group {
		t.robust = robustList(t.Pid)
	} else {
		r.exitMarks[t.tgid] = r.processRobustMarks(t)
	}
	for _, o := range r.tasks {
		if o == t || (group && o.tgid == t.tgid) {
			o.state = exiting
		}
	}
	if err := r.resume(t); err != nil {
		return err
	}
	if group || t.Pid != t.tgid {
		return nil // died() records the end
	}
	// The leader ended alone; the process lives on with its other
	// threads, and the leader's wait status comes with the process's end.
	// Wait until the kernel has finished the exit (cleared its tid).
	if err := tracee.WaitZombie(t.Pid); err != nil {
		return err
	}
	t.dom.release(t)
	return r.write(&trace.Frame{Kind: trace.KindExit, Flags: trace.FlagThread, Tid: int32(t.Pid), Mem: r.exitWrites(t)})
}

// robustList returns the address of a thread's robust futex list.
func robustList(tid int) uint64 {
	var head, size uint64
	_, _, errno := unix.Syscall(unix.SYS_GET_ROBUST_LIST, uintptr(tid), uintptr(unsafe.Pointer(&head)), uintptr(unsafe.Pointer(&size)))
	if errno != 0 {
		return 0
	}
	return head
}

// exitWrites is the memory written for thread t, which ended, for its
// exit frame: its robust futexes, and its syscall buffer slot made free.
func (r *recording) exitWrites(t *task) []trace.MemWrite {
	var mem *task
	for _, o := range r.tasks {
		if o != t && o.tgid == t.tgid && o.state != exiting {
			mem = o
			break
		}
	}
	if mem == nil {
		return nil
	}
	return append(robustWords(t.robust, mem.Proc), r.freeSlot(t, mem)...)
}

// processRobustMarks is what the kernel will write into the robust futexes
// the threads of t's process hold when it ends: they may be in memory
// shared with other processes, and after the end there is no thread left
// to read them through. A word whose owner is the thread gets
// FUTEX_OWNER_DIED and keeps its waiters bit.
func (r *recording) processRobustMarks(t *task) []trace.MemWrite {
	const ownerDied, waiters, tidMask = 0x40000000, 0x80000000, 0x3fffffff
	var marks []trace.MemWrite
	for _, o := range r.tasks {
		if o.tgid != t.tgid {
			continue
		}
		for _, w := range robustWords(robustList(o.Pid), t.Proc) {
			v := binary.LittleEndian.Uint32(w.Data)
			if int(v&tidMask) == o.Pid {
				binary.LittleEndian.PutUint32(w.Data, v&waiters|ownerDied)
				marks = append(marks, w)
			}
		}
	}
	return marks
}

// robustWords reads the futex words of the robust list at robust (and its
// pending one) through mem. After a thread ended, read through a live
// thread of its process, they are what the kernel marked of those it held
// (FUTEX_OWNER_DIED), which replay, where thread ids differ, must write
// itself.
func robustWords(robust uint64, mem *tracee.Proc) []trace.MemWrite {
	if robust == 0 {
		return nil
	}
	var head [24]byte // next, futex_offset, list_op_pending
	if mem.ReadMem(robust, head[:]) != nil {
		return nil
	}
	le := binary.LittleEndian
	off := le.Uint64(head[8:])
	var ws []trace.MemWrite
	word := func(entry uint64) {
		var w [4]byte
		if mem.ReadMem(entry+off, w[:]) == nil {
			ws = append(ws, trace.MemWrite{Addr: entry + off, Data: w[:]})
		}
	}
	if p := le.Uint64(head[16:]); p != 0 {
		word(p)
	}
	for e, n := le.Uint64(head[0:]), 0; e != robust && e != 0 && n < 2048; n++ {
		word(e)
		var next [8]byte
		if mem.ReadMem(e, next[:]) != nil {
			break
		}
		e = le.Uint64(next[:])
	}
	return ws
}

func (r *recording) hasOtherThreads(t *task) bool {
	for _, o := range r.tasks {
		if o != t && o.tgid == t.tgid {
			return true
		}
	}
	return false
}

// takesTraps tells whether the call would switch off rewind's own
// trapping of rdtsc or CPUID; it is made to fail instead.
func takesTraps(nr uint64, regs *unix.PtraceRegs) bool {
	return nr == unix.SYS_PRCTL && regs.Rdi == arch.PR_SET_TSC ||
		nr == unix.SYS_ARCH_PRCTL && regs.Rdi == arch.ARCH_SET_CPUID
}

func (r *recording) checkSharedMap(t *task, regs unix.PtraceRegs) {
	const mapShared, mapAnon = 0x01, 0x20
	const protWrite = 0x2
	if regs.R10&mapShared == 0 || regs.R10&mapAnon != 0 {
		return
	}
	// Another recorded process may map the file too: their threads take
	// turns (forkDomain does the same for anonymous memory). A reader
	// joins the writers, if any.
	fd := fmt.Sprintf("/proc/%d/fd/%d", t.Pid, int32(regs.R8))
	var st unix.Stat_t
	if unix.Stat(fd, &st) != nil {
		return // the call fails
	}
	file := [2]uint64{st.Dev, st.Ino}
	if regs.Rdx&protWrite == 0 {
		if d := r.fileDomains[file]; d != nil {
			r.merge(t, d)
		}
		return
	}
	r.joinFile(t, file)
	// Once per file: every go command and tool maps its telemetry
	// counters so.
	name, err := os.Readlink(fd)
	if err != nil {
		name = fmt.Sprintf("a file (fd %d)", int32(regs.R8))
	}
	if !r.warnedShared[name] {
		r.warnedShared[name] = true
		r.warn(fmt.Sprintf("the program maps %s shared and writable: writes to it by processes outside the recording are not recorded", name))
	}
}

func (r *recording) syscallExit(t *task) error {
	t.inSyscall = false
	r.releaseOutput(t)
	after, err := t.Regs()
	if err != nil {
		return err
	}
	sc, entry := t.entryInfo, t.entry
	f := &trace.Frame{Kind: trace.KindSyscall, Tid: int32(t.Pid), Regs: entry, Nr: sc.Nr, Result: int64(after.Rax)}
	switch {
	case t.restart:
		f.Flags |= trace.FlagRestart
		f.Result = 0
		after.Rax = sc.Nr
		after.Rip -= uint64(len(arch.InsnSyscall))
		if err := t.SetRegs(&after); err != nil {
			return err
		}
		if t.deliverable() {
			p := t.pending[0]
			t.pending = t.pending[1:]
			t.injected = &p
			// Queue the signal now; it is delivered on the way back to
			// user mode, where signal() records it and restores its
			// siginfo.
			if err := unix.Tgkill(t.tgid, t.Pid, unix.Signal(p.signo)); err != nil {
				return err
			}
		}
		// Else a preemption's SIGSTOP is pending: it arrives next, here.
	case t.disabled || t.denied != 0:
		f.Flags |= trace.FlagDisabled
		after.Orig_rax = entry.Orig_rax // as if the kernel itself had refused it
		if t.denied != 0 {              // by the program's filter
			after.Rax = -t.denied
			f.Result = int64(after.Rax)
		}
		if err := t.SetRegs(&after); err != nil {
			return err
		}
	case (sc.Policy == arch.Emulate || arch.IsClone(sc.Nr)) && f.Result > -4096 && (sc.Writes != nil || sc.Nr == arch.SysRestartSyscall):
		if err := r.recordWrites(t, f); err != nil {
			return err
		}
	case sc.Nr == unix.SYS_MMAP && !arch.Failed(f.Result):
		if err := r.fileMapping(t, f, &entry); err != nil {
			return err
		}
		if err := r.writeKnown(t); err != nil {
			return err
		}
		if t.buf.slot != 0 && preload.IsLibcText(f.Map, entry.Rdx) {
			// The syscall buffer reaches libc's calls: replay patches
			// the same way at this frame.
			f.Flags |= trace.FlagPatched
			if err := preload.PatchText(t.Proc, after, uint64(f.Result), uint64(f.Result)+entry.Rsi); err != nil {
				return err
			}
		}
	case sc.Nr == arch.SysRewindRegister:
		if err := r.register(t, f); err != nil {
			return err
		}
		after.Rax = uint64(f.Result)
		if err := t.SetRegs(&after); err != nil {
			return err
		}
	}
	if t.filter != nil {
		if err := r.programFilterDone(t, &after); err != nil {
			return err
		}
	}
	const errRestartBlock = -516 // ERESTART_RESTARTBLOCK: may resume as restart_syscall
	if f.Result == errRestartBlock && sc.Nr != arch.SysRestartSyscall {
		t.interrupted, t.interruptedArgs = sc, arch.SyscallArgs(&entry)
	}
	if isWrite(sc.Nr) && f.Result > 0 {
		f.Flags |= r.outputFlag(t, int32(entry.Rdi))
	}
	if t.execFrom != 0 {
		f.Tid, t.execFrom = int32(t.execFrom), 0
	}
	if err := r.flush(t, entry.Rip); err != nil {
		return err
	}
	if err := r.write(f); err != nil {
		return err
	}
	if t.execSeen && (sc.Nr == unix.SYS_EXECVE || sc.Nr == unix.SYS_EXECVEAT) {
		t.execSeen = false
		t.vforkDone()
		if err := r.placeExec(t); err != nil {
			return err
		}
		ef, err := r.captureExec(t)
		if err != nil {
			return err
		}
		if err := r.write(ef); err != nil {
			return err
		}
		after, _ = t.Regs()
	}
	t.boundary, t.boundaryRegs, t.boundaryDigest = true, after, nil
	switch {
	case t != t.dom.cur:
	case sc.Nr == unix.SYS_SCHED_YIELD, t.yieldSoon:
		t.yieldSoon = false
		t.dom.cur = nil // it gives way here: a point as cheap to replay as any
	case r.opts.Chaos && r.rng.IntN(4) == 0:
		t.dom.cur = nil // switch at this syscall boundary: cheap to replay
	}
	return nil
}

// recordWrites adds the memory the call wrote to its frame.
func (r *recording) recordWrites(t *task, f *trace.Frame) error {
	sc := t.entryInfo
	call := &arch.Call{Nr: sc.Nr, Args: arch.SyscallArgs(&t.entry), Result: f.Result, Mem: t}
	rule := sc
	if sc.Nr == arch.SysRestartSyscall {
		// The kernel resumes the interrupted call with its arguments: it
		// writes what that call writes.
		if t.interrupted == nil {
			return &UnsupportedError{Frame: r.w.Frames, What: "restart_syscall without an interrupted call"}
		}
		rule = t.interrupted
		call.Nr, call.Args = t.interrupted.Nr, t.interruptedArgs
	}
	if rule.Writes == nil {
		return nil
	}
	ranges, err := rule.Writes(call)
	if err != nil {
		return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("%s: %v", sc.Name, err)}
	}
	for _, rg := range ranges {
		if rg.Len == 0 {
			continue
		}
		if rg.Len > 1<<32 {
			return fmt.Errorf("%s: implausible write of %d bytes", sc.Name, rg.Len)
		}
		data := make([]byte, rg.Len)
		if err := t.ReadMem(rg.Addr, data); err != nil {
			return fmt.Errorf("%s: reading its result: %w", sc.Name, err)
		}
		f.Mem = append(f.Mem, trace.MemWrite{Addr: rg.Addr, Data: data})
	}
	return nil
}
