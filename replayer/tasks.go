package replayer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

// task is one live thread of the replay, known by its recorded id. Only
// the thread of the frame being replayed runs; the others stay stopped
// where their last frame left them (or inside an executed syscall that
// waits for another thread, as a vfork parent does).
type task struct {
	t    *tracee.Proc
	tgid int32 // recorded process id
	sig  int   // signal to deliver when it resumes
	held *unix.WaitStatus
	// atEntry: stopped at the entry of a syscall that the recording left
	// running while other threads went on (a KindEnter frame).
	atEntry   bool
	entryRegs unix.PtraceRegs
	inKernel  bool // resumed into an executed syscall that has not returned
	gone      bool // a leader that exited alone; reaped with its process
	// suspended: the call of this frame, which waited for a signal with
	// a temporary signal mask, runs as rt_sigsuspend until the signal.
	suspended *trace.Frame
	saved     unix.PtraceRegs
	// runsCalls: the buffered calls loaded for the thread hold ones the
	// library makes again, which the replayer runs (runLibraryCall): the
	// thread is not resumed with PTRACE_SYSEMU, whose skipped call would
	// have to be entered again, three stops more.
	runsCalls bool
	// restartAs: the call, interrupted, that the kernel makes again if
	// no signal handler runs before the thread's next frame.
	restartAs *uint64
}

// tempMask returns the address of the signal mask a call installs while
// it waits, when the recording shows a signal interrupted it: the signal
// must then be delivered under that mask, as the kernel did.
func (s *Session) tempMask(f *trace.Frame, regs *unix.PtraceRegs) (uint64, bool) {
	const errEINTR, errERESTARTNOHAND = -4, -514
	if f.Result != errEINTR && f.Result != errERESTARTNOHAND || f.Flags&(trace.FlagRestart|trace.FlagDisabled) != 0 {
		return 0, false
	}
	var mask uint64
	switch f.Nr {
	case unix.SYS_RT_SIGSUSPEND:
		mask = regs.Rdi
	case unix.SYS_PPOLL:
		mask = regs.R10
	case unix.SYS_EPOLL_PWAIT, unix.SYS_EPOLL_PWAIT2:
		mask = regs.R8
	case unix.SYS_PSELECT6: // its sixth argument points to {mask, size}
		var p [8]byte
		if regs.R9 != 0 && s.t.ReadMem(regs.R9, p[:]) == nil {
			mask = binary.LittleEndian.Uint64(p[:])
		}
	}
	return mask, mask != 0
}

// suspend runs the call as rt_sigsuspend(mask): the thread waits in the
// kernel, with the call's mask, for the signal its next frame raises.
func (s *Session) suspend(f *trace.Frame, regs unix.PtraceRegs, mask uint64) error {
	tk := s.tasks[s.cur]
	tk.suspended, tk.saved = f, regs
	regs.Orig_rax, regs.Rdi, regs.Rsi = unix.SYS_RT_SIGSUSPEND, mask, 8
	if err := s.t.SetRegs(&regs); err != nil {
		return err
	}
	err := s.t.Syscall(s.sig)
	s.sig = 0
	return err
}

// unsuspend ends a suspend once the signal was sent: the call returns
// what was recorded, with its registers as they were.
func (s *Session) unsuspend(tk *task) error {
	f := tk.suspended
	tk.suspended = nil
	ws, err := s.t.Wait()
	if err != nil {
		return err
	}
	if !ws.Stopped() || ws.StopSignal() != tracee.StopSyscall {
		return s.diverged(f, "the signal did not end "+arch.SyscallName(f.Nr), "syscall exit", s.describeStop(ws))
	}
	after, err := s.t.Regs()
	if err != nil {
		return err
	}
	saved := tk.saved
	after.Rax, after.Orig_rax = uint64(f.Result), saved.Orig_rax
	after.Rdi, after.Rsi, after.Rdx, after.R10, after.R8, after.R9 = saved.Rdi, saved.Rsi, saved.Rdx, saved.R10, saved.R8, saved.R9
	for _, w := range f.Mem {
		if err := s.t.WriteMem(w.Addr, w.Data); err != nil {
			return err
		}
	}
	return s.t.SetRegs(&after)
}

// switchTo makes the thread recorded as tid the current one (s.t).
func (s *Session) switchTo(tid int32) error {
	if tid == s.cur && s.t != nil {
		return nil
	}
	next := s.tasks[tid]
	if next == nil || next.gone {
		return fmt.Errorf("event %d: thread %d does not exist in the replay", s.frame, tid)
	}
	if old := s.tasks[s.cur]; old != nil && s.t != nil {
		old.sig, old.held = s.sig, s.held
	}
	s.t, s.cur, s.sig, s.held = next.t, tid, next.sig, next.held
	next.held = nil
	s.pid.Store(int64(next.t.Pid))
	s.followCPU(next.t.Pid)
	if len(s.watches) > 0 && !s.watchOff {
		// Debug registers are per thread, and watch in the debugged
		// process only (a forked copy has the same addresses).
		return s.programDRs(s.usePages() || !s.inMain())
	}
	return nil
}

// followCPU moves the replay's own thread to the CPU thread tid is pinned
// to (the recording ran its processes side by side, on several): a ptrace
// stop costs half as much when the tracer runs on the tracee's CPU.
func (s *Session) followCPU(tid int) {
	if s.tracerCPU < 0 {
		return
	}
	cpus, err := tracee.CPUs(tid)
	if err != nil || len(cpus) != 1 || cpus[0] == s.tracerCPU {
		return
	}
	if tracee.Pin(0, cpus[0]) == nil {
		s.tracerCPU = cpus[0]
	}
}

// inMain reports whether the current thread belongs to the process the
// debugger sees (process.go): breakpoints live in its memory only.
func (s *Session) inMain() bool { return s.tgidOf[s.cur] == int32(s.tid) }

// mainProc returns a live thread of the debugged process, for memory, or
// nil when it has none (it has ended): never another process.
func (s *Session) mainProc() *tracee.Proc {
	if tk := s.tasks[s.cur]; tk != nil && !tk.gone && s.inMain() {
		return tk.t
	}
	for _, tid := range s.Threads() {
		return s.tasks[int32(tid)].t
	}
	return nil
}

// Threads lists the live threads of the debugged process, main first.
func (s *Session) Threads() []int {
	var tids []int
	for tid, tk := range s.tasks {
		if tk.tgid == int32(s.tid) && !tk.gone {
			tids = append(tids, int(tid))
		}
	}
	sort.Ints(tids)
	return tids
}

// Current returns the recorded id of the current thread.
func (s *Session) Current() int { return int(s.cur) }

// addTask registers a new live thread.
func (s *Session) addTask(tid, tgid int32, p *tracee.Proc) *task {
	tk := &task{t: p, tgid: tgid}
	s.tasks[tid] = tk
	s.tgidOf[tid] = tgid
	return tk
}

// killLive kills every live thread of the replay.
func (s *Session) killLive() {
	for _, tk := range s.tasks {
		unix.Kill(tk.t.Pid, unix.SIGKILL)
	}
	// Leaders last: a leader is reported only after its other threads
	// were reaped.
	for _, leaders := range []bool{false, true} {
		for tid, tk := range s.tasks {
			if (tid == tk.tgid) == leaders {
				tk.t.Kill()
			}
		}
	}
	s.tasks = map[int32]*task{}
}

// startClone runs a clone, fork or vfork up to the new thread's birth:
// the kernel reports it, it is registered under its recorded id child,
// and the parent goes on into the rest of the call.
func (s *Session) startClone(f *trace.Frame, regs unix.PtraceRegs, child int32) error {
	ws, err := s.resume(false)
	if err != nil {
		return err
	}
	if !tracee.CloneEvent(ws) {
		return s.diverged(f, "the new thread or process was not created", "clone event", s.describeStop(ws))
	}
	msg, err := s.t.EventMsg()
	if err != nil {
		return err
	}
	p, err := tracee.Adopt(int(msg))
	if err != nil {
		return err
	}
	var cws unix.WaitStatus
	if _, err := unix.Wait4(p.Pid, &cws, unix.WALL, nil); err != nil || !cws.Stopped() {
		return fmt.Errorf("the new thread %d did not start: %v", p.Pid, errOr(err, errors.New(tracee.Describe(cws))))
	}
	flags, childTid := arch.CloneFlags(f.Nr, arch.SyscallArgs(&regs), s.t)
	tgid := child
	if flags&arch.CloneThread != 0 {
		tgid = s.tgidOf[s.cur]
	} else { // a new process runs its parent's program
		parent := s.tgidOf[s.cur]
		s.exes[child], s.auxvs[child] = s.exes[parent], s.auxvs[parent]
	}
	s.addTask(child, tgid, p)
	if flags&arch.CloneThread != 0 && preload.InRegion(regs.Gs_base) {
		// As recorded: a thread of the syscall buffer's library takes
		// its own slot.
		if err := preload.ResetThreadGS(p); err != nil {
			return err
		}
	}
	if flags&arch.CloneVM == 0 && s.inMain() {
		// A new address space, copied with the debugger's breakpoints in.
		for a, orig := range s.bps {
			p.WriteMem(a, []byte{orig})
		}
	}
	if flags&arch.CloneChildSetid != 0 && childTid != 0 {
		// The kernel stored the replay's thread id: the program must see
		// the recorded one.
		var id [4]byte
		binary.LittleEndian.PutUint32(id[:], uint32(child))
		if err := p.WriteMem(childTid, id[:]); err != nil {
			return s.diverged(f, "writing the new thread's id", "", err.Error())
		}
	}
	return nil
}

// vforkWait bounds the wait for a vfork parent's return, which comes at
// once when the trace is in order.
const vforkWait = 5 * time.Second

// clone replays a clone, fork or vfork whose frame is complete.
func (s *Session) clone(f *trace.Frame, regs unix.PtraceRegs) error {
	if f.Result < 0 {
		return s.emulateAt(f, regs) // it failed when recorded: nothing to create
	}
	if err := s.startClone(f, regs, int32(f.Result)); err != nil {
		return err
	}
	after, err := s.expectStop(f, tracee.StopSyscall, "exit from "+arch.SyscallName(f.Nr), nil)
	if err != nil {
		return err
	}
	return s.finishClone(f, after)
}

// awaitClone completes a clone left running in the kernel (a vfork
// parent, which returns once its child exec'd or exited). The child's
// exec or end comes before in the trace, so the parent returns at once;
// a trace with them the other way round (recordings made before that
// order was enforced could have it) would wait for ever: that is
// reported.
func (s *Session) awaitClone(f *trace.Frame) error {
	ws, ok, err := s.t.WaitUntil(vforkWait)
	if err != nil {
		return err
	}
	if !ok {
		return s.diverged(f, "the vfork parent does not return: the trace has its return before its child's exec or end", "the parent's return", "the parent still waits for its child")
	}
	if !ws.Stopped() || ws.StopSignal() != tracee.StopSyscall {
		return s.diverged(f, "expected the exit from "+arch.SyscallName(f.Nr), "syscall exit", s.describeStop(ws))
	}
	after, err := s.t.Regs()
	if err != nil {
		return err
	}
	return s.finishClone(f, after)
}

// finishClone completes a clone in the parent, stopped at its exit: its
// result and the memory it wrote are the recorded ones.
func (s *Session) finishClone(f *trace.Frame, after unix.PtraceRegs) error {
	if int64(after.Rax) <= 0 {
		return s.diverged(f, arch.SyscallName(f.Nr)+" failed in the replay", fmt.Sprint(f.Result), fmt.Sprint(int64(after.Rax)))
	}
	after.Rax = uint64(f.Result)
	if err := s.writeFrameMem(s.t, f, "writing the new thread's id"); err != nil {
		return err
	}
	return s.t.SetRegs(&after)
}

// emulateAt skips the call at its entry stop and sets its recorded result.
func (s *Session) emulateAt(f *trace.Frame, regs unix.PtraceRegs) error {
	regs.Orig_rax = ^uint64(0)
	if err := s.t.SetRegs(&regs); err != nil {
		return err
	}
	after, err := s.expectStop(f, tracee.StopSyscall, "exit from "+arch.SyscallName(f.Nr), nil)
	if err != nil {
		return err
	}
	after.Rax, after.Orig_rax = uint64(f.Result), f.Regs.Orig_rax
	return s.t.SetRegs(&after)
}

// enter replays a KindEnter frame: the thread runs to the syscall's entry
// and stays there (an executed vfork goes on into the kernel, where it
// waits for its child) until the frame that completes the call.
func (s *Session) enter(f *trace.Frame) error {
	regs, err := s.expectStopFirst(f, tracee.StopSyscall, "entry to "+arch.SyscallName(f.Nr), &f.Regs, true)
	if err != nil {
		return err
	}
	tk := s.tasks[s.cur]
	if sc := arch.LookupSyscall(f.Nr); sc != nil && sc.Policy == arch.Execute && arch.IsClone(f.Nr) && f.Result > 0 {
		if err := s.startClone(f, regs, int32(f.Result)); err != nil {
			return err
		}
		if err := s.t.Syscall(s.sig); err != nil {
			return err
		}
		s.sig = 0
		tk.inKernel, tk.entryRegs = true, regs
		return nil
	}
	tk.atEntry, tk.entryRegs = true, regs
	return s.writeFrameMem(s.t, f, "writing what the kernel wrote on entry")
}

// preempt replays a KindPreempt frame: the thread runs to the first
// arrival at the recorded pc whose registers and memory match the
// recording's (soft mode's fingerprint), where it was stopped to let
// others run.
func (s *Session) preempt(f *trace.Frame) error {
	target := f.Regs.Rip
	if err := s.enterHandler(f); err != nil {
		return err
	}
	if ok, err := s.atPoint(f); ok || err != nil {
		return err
	}
	if !s.opts.NoTrampoline {
		tr, err := s.t.NewTrampoline(&f.Regs, f.Stack, trace.RedZone)
		if err == nil {
			return s.runTrampoline(f, tr)
		}
		if debugReplay {
			fmt.Fprintf(os.Stderr, "replay: no trampoline at %#x: %v\n", target, err)
		}
	}
	if !s.opts.NoBPF {
		cb, err := tracee.NewCondBreak(s.t.Pid, &f.Regs)
		if err == nil {
			defer cb.Close()
			return s.runToMatch(f)
		}
		s.opts.NoBPF = true
		s.warn(fmt.Sprintf("%v; finding preemption points will be slow", err))
	}
	var orig [1]byte
	if err := s.t.ReadMem(target, orig[:]); err != nil {
		return s.diverged(f, "the preemption point is not mapped", fmt.Sprintf("%#x", target), err.Error())
	}
	ours := orig[0] != int3
	if ours {
		if err := s.t.WriteMem(target, []byte{int3}); err != nil {
			return err
		}
		defer s.t.WriteMem(target, orig[:])
	}
	for {
		ws, err := s.resume(true)
		if errors.Is(err, errBreakpoint) {
			if ok, merr := s.atPoint(f); ok || merr != nil {
				return merr
			}
			return err // the debugger's breakpoint, elsewhere or here
		}
		if err != nil {
			return err
		}
		if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP || ws.TrapCause() != 0 {
			return s.diverged(f, "the thread did not reach its preemption point", fmt.Sprintf("pc %#x", target), s.describeStop(ws))
		}
		regs, err := s.t.Regs()
		if err != nil {
			return err
		}
		if regs.Rip-1 != target || !ours {
			return s.diverged(f, "unexpected trap before the preemption point", fmt.Sprintf("pc %#x", target), fmt.Sprintf("trap at %#x", regs.Rip-1))
		}
		regs.Rip--
		if err := s.t.SetRegs(&regs); err != nil {
			return err
		}
		if ok, err := s.atPoint(f); ok || err != nil {
			return err
		}
		// Not yet: execute the instruction under the int3 and go on.
		if err := s.t.WriteMem(target, orig[:]); err != nil {
			return err
		}
		sws, err := s.stepOne(0)
		if err == nil && (!sws.Stopped() || sws.StopSignal() != unix.SIGTRAP) {
			err = s.diverged(f, "stepping towards the preemption point", "SIGTRAP", tracee.Describe(sws))
		}
		if werr := s.t.WriteMem(target, []byte{int3}); err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
	}
}

// enterHandler delivers the signal the thread stopped for, if any, and
// stops it at the handler's first instruction: the preemption point may
// be there, and a syscall injected for the search must not find the
// signal pending (restarting from a syscall stop would send it again).
func (s *Session) enterHandler(f *trace.Frame) error {
	sig := s.sig
	if sig == 0 || !tracee.Caught(s.t.Pid, sig) {
		return nil // no handler runs: resuming delivers it as before
	}
	s.sig = 0
	for range 2 {
		if err := s.t.Step(sig); err != nil {
			return err
		}
		ws, err := s.t.Wait()
		if err != nil {
			return err
		}
		if ws.Stopped() && ws.StopSignal() == unix.SIGTRAP {
			return nil
		}
		if !ws.Stopped() || ws.StopSignal() != unix.Signal(sig) {
			return s.diverged(f, "entering a signal handler before a preemption point", "a step into the handler", s.describeStop(ws))
		}
		// Resumed from a stop that was not the signal's own, the kernel
		// sent it again: now it is delivered.
	}
	return s.diverged(f, "entering a signal handler before a preemption point", "a step into the handler", "the signal again")
}

// runTrampoline runs the thread until the trampoline traps with matching
// registers and the memory matches too.
func (s *Session) runTrampoline(f *trace.Frame, tr *tracee.Trampoline) error {
	s.ownMapping[0], s.ownMapping[1] = tr.Range()
	defer func() { s.ownMapping = [2]uint64{} }()
	for {
		ws, err := s.resume(true)
		if err != nil {
			return errors.Join(err, tr.Remove()) // the debugger's breakpoint or an interrupt first
		}
		regs, rerr := s.t.Regs()
		if rerr != nil {
			return rerr
		}
		if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP || !tr.Matched(&regs) {
			tr.Remove()
			return s.diverged(f, "the thread did not reach its preemption point", fmt.Sprintf("pc %#x", f.Regs.Rip), s.describeStop(ws))
		}
		// At the jump that led to the trampoline's address, if one did:
		// the same state, as recorded.
		regs.Rip = f.Regs.Rip
		if err := s.t.SetRegs(&regs); err != nil {
			return err
		}
		if ok, err := s.atPoint(f); ok || err != nil {
			return errors.Join(err, tr.Remove())
		}
		if debugReplay {
			_, maps, _ := s.t.MemDigest(tracee.DigestOptions{Skip: s.digestSkip(), Stacks: s.liveStacks(), PerMap: true, CRC: s.crcDigests()})
			fmt.Fprintf(os.Stderr, "replay: registers matched at %#x, memory did not: %q\n", f.Regs.Rip, maps)
		}
		tr.PassOn(&regs)
		if err := s.t.SetRegs(&regs); err != nil {
			return err
		}
	}
}

// runToMatch runs the thread until its conditional breakpoint stops it at
// the point f (registers first, in the kernel; then memory, here).
func (s *Session) runToMatch(f *trace.Frame) error {
	for {
		ws, err := s.resume(true)
		if err != nil {
			return err // the debugger's breakpoint or an interrupt first
		}
		if !ws.Stopped() || ws.StopSignal() != unix.SIGSTOP {
			return s.diverged(f, "the thread did not reach its preemption point", fmt.Sprintf("pc %#x", f.Regs.Rip), s.describeStop(ws))
		}
		if ok, err := s.atPoint(f); ok || err != nil {
			return err
		}
	}
}

// atPoint tells whether the current thread is at f's registers and memory.
func (s *Session) atPoint(f *trace.Frame) (bool, error) {
	fp := fingerprint{regs: f.Regs}
	copy(fp.mem[:], f.Digest)
	return s.matches(&fp)
}

// threadExit replays the end of one thread by its own exit call.
func (s *Session) threadExit(f *trace.Frame) error {
	tk := s.tasks[f.Tid]
	if err := s.t.Syscall(s.sig); err != nil {
		return err
	}
	s.sig = 0
	if tk.t.Pid == tracee.Tgid(tk.t.Pid) && s.hasOtherThreads(f.Tid) {
		// A leader: it stays a zombie until its process ends.
		tk.gone = true
		if err := tracee.WaitZombie(tk.t.Pid); err != nil {
			return err
		}
		return s.exitWrites(f, tk.tgid)
	}
	ws, err := tk.t.Wait()
	if err != nil {
		return err
	}
	if !ws.Exited() && !ws.Signaled() {
		return s.diverged(f, "the thread did not end", "exit", tracee.Describe(ws))
	}
	tk.t.Release()
	delete(s.tasks, f.Tid)
	if err := s.exitWrites(f, tk.tgid); err != nil {
		return err
	}
	// The current thread is gone: the debugger and snapshots need a live
	// one, the process's first.
	s.t = nil
	if tids := s.Threads(); len(tids) > 0 {
		return s.switchTo(int32(tids[0]))
	}
	return nil
}

// exitWrites writes, through a live thread of the process, what the
// recording wrote when the thread of f ended: the kernel's marks in the
// robust futexes it held (their words hold recorded thread ids, which the
// kernel does not recognize in the replay) and its syscall buffer slot
// made free.
func (s *Session) exitWrites(f *trace.Frame, tgid int32) error {
	for _, tk := range s.tasks {
		if tk.tgid == tgid && !tk.gone {
			return s.writeFrameMem(tk.t, f, "the writes of the thread's end (robust futexes, buffer slot)")
		}
	}
	return nil
}

func (s *Session) hasOtherThreads(tid int32) bool {
	for id, tk := range s.tasks {
		if id != tid && tk.tgid == s.tgidOf[tid] && !tk.gone {
			return true
		}
	}
	return false
}

// processExit replays the end of a process: the thread whose resumption
// ended it runs (or a SIGKILL from elsewhere arrives), and every thread of
// the process is reaped, the leader last, with the recorded status.
func (s *Session) processExit(f *trace.Frame) error {
	status := unix.WaitStatus(f.Status)
	tgid := s.tgidOf[f.Tid]
	leader := s.tasks[tgid]
	if leader == nil {
		return s.diverged(f, "the process that ends is not in the replay", fmt.Sprint(tgid), "")
	}
	delete(s.mapFDs, tgid)
	// The robust futexes its threads held, marked by the kernel as they
	// end (thread ids differ in replay, so the kernel would not).
	if err := s.exitWrites(f, tgid); err != nil {
		return err
	}
	if status.Signaled() && status.Signal() == unix.SIGKILL {
		unix.Kill(leader.t.Pid, unix.SIGKILL)
	} else if tk := s.tasks[f.Tid]; status.Signaled() && status.Signal() == unix.SIGSYS && s.sig == 0 && tk != nil && !tk.gone && !tk.inKernel {
		if err := s.killedByFilter(f); err != nil {
			return err
		}
	} else if tk := s.tasks[f.Tid]; tk != nil && !tk.gone && !tk.inKernel {
		if err := s.switchTo(f.Tid); err != nil {
			return err
		}
		if err := s.t.Syscall(s.sig); err != nil && err != unix.ESRCH {
			return err
		}
		s.sig = 0
	}
	for tid, tk := range s.tasks {
		if tk.tgid != tgid || tid == tgid {
			continue
		}
		tk.t.Reap()
		tk.t.Release()
		delete(s.tasks, tid)
	}
	last, err := leader.t.Reap()
	if err != nil {
		return fmt.Errorf("waiting for process %d to end: %w", tgid, err)
	}
	leader.t.Release()
	delete(s.tasks, tgid)
	if last != status {
		return s.diverged(f, "program end differs", tracee.Describe(status), tracee.Describe(last))
	}
	if tgid == int32(s.tid) {
		s.exit, s.ended = last, true
	}
	if len(s.tasks) == 0 {
		s.pid.Store(0)
		s.t = nil
		s.done = true
	} else if s.cur == f.Tid || s.tasks[s.cur] == nil {
		// As in threadExit: the debugger and a backwards search going on
		// through this boundary need a live thread, the debugged one.
		s.t = nil
		if tids := s.Threads(); len(tids) > 0 {
			return s.switchTo(int32(tids[0]))
		}
	}
	return nil
}

// killedByFilter ends the process of f's thread as its own seccomp filter
// did (SECCOMP_RET_KILL_*, no signal frame: the kernel kills without a
// stop): at the thread's next call, which a filter installed there for
// the purpose, killing at any call, kills. Replay never installs the
// program's filters.
func (s *Session) killedByFilter(f *trace.Frame) error {
	if err := s.switchTo(f.Tid); err != nil {
		return err
	}
	if err := s.t.Syscall(0); err != nil {
		return err
	}
	ws, err := s.t.Wait()
	if err != nil {
		return err
	}
	if !ws.Stopped() || ws.StopSignal() != tracee.StopSyscall {
		return s.diverged(f, "the thread its seccomp filter killed did not make a call", "a syscall", s.describeStop(ws))
	}
	regs, err := s.t.Regs()
	if err != nil {
		return err
	}
	// struct sock_fprog {1, &insn} and insn, BPF_RET|BPF_K KILL_PROCESS,
	// below the red zone.
	const retK, killProcess = 0x06, 0x80000000
	at := (regs.Rsp - trace.RedZone - 32) &^ 15
	prog := make([]byte, 24)
	binary.LittleEndian.PutUint16(prog[0:], 1)
	binary.LittleEndian.PutUint64(prog[8:], at+16)
	binary.LittleEndian.PutUint16(prog[16:], retK)
	binary.LittleEndian.PutUint32(prog[20:], killProcess)
	if err := s.t.WriteMem(at, prog); err != nil {
		return err
	}
	const prSetNoNewPrivs, setModeFilter = 38, 1
	if _, err := s.t.InjectAtEntry(unix.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0); err != nil {
		return err
	}
	if r, err := s.t.InjectAtEntry(unix.SYS_SECCOMP, setModeFilter, 0, at); err != nil || r != 0 {
		return fmt.Errorf("ending the process as its seccomp filter did: %v", tracee.CallError(err, r))
	}
	return s.t.Cont(0)
}
