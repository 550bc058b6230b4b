package replayer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

var (
	errBreakpoint  = errors.New("breakpoint hit")
	errInterrupted = errors.New("interrupted")
)

// StopReason says why a forward run or step ended.
type StopReason int

const (
	StoppedStep       StopReason = iota // one instruction was executed
	StoppedBreakpoint                   // at a software breakpoint
	StoppedSignal                       // a recorded signal is about to be delivered
	StoppedInterrupt                    // the debugger interrupted
	StoppedEnd                          // at the end of the recording (the exit is next)
	StoppedExited                       // the program has ended
	StoppedBegin                        // at the start of the recording (going backwards)
	StoppedWatch                        // a watchpoint fired (Watch says which)
)

// Stopped describes where a forward run or step ended.
type Stopped struct {
	Reason StopReason
	Signal int             // StoppedSignal
	Status unix.WaitStatus // StoppedExited
	Watch  *watch          // StoppedWatch
}

const int3 = 0xcc

// Tid is the recorded pid of the debugged process.
func (s *Session) Tid() int { return s.tid }

// ExePath is the debugged process's program path as recorded.
func (s *Session) ExePath() string { return s.exes[int32(s.tid)] }

// Header returns the trace's header.
func (s *Session) Header() *trace.Header { return s.r.Header }

// Auxv returns the auxiliary vector the debugged process started with.
func (s *Session) Auxv() []byte { return s.auxvs[int32(s.tid)] }

// FileCopy returns the trace's copy of a file the program mapped.
func (s *Session) FileCopy(path string) (string, bool) {
	c, ok := s.files[path]
	return c, ok
}

// Registers returns the registers of the current thread.
func (s *Session) Registers() (*arch.RegisterSet, error) { return s.RegistersOf(int(s.cur)) }

// RegistersOf returns the registers of thread tid (recorded id).
func (s *Session) RegistersOf(tid int) (*arch.RegisterSet, error) {
	if s.done || s.ended {
		return nil, errors.New("the program has exited")
	}
	t := s.t
	if tk := s.tasks[int32(tid)]; tk != nil && !tk.gone {
		t = tk.t
	}
	if t == nil {
		return nil, errors.New("no such thread")
	}
	regs, err := t.Regs()
	if err != nil {
		return nil, err
	}
	xs, _ := t.XState() // FP state is optional: zeros when unreadable
	return &arch.RegisterSet{Regs: regs, XSave: xs}, nil
}

// ReadMemory reads as much of [addr, addr+len(buf)) as is mapped, with
// breakpoints hidden.
func (s *Session) ReadMemory(addr uint64, buf []byte) (int, error) {
	p := s.mainProc()
	if s.done || p == nil {
		return 0, errors.New("the program has exited")
	}
	n := 0
	for n < len(buf) {
		chunk := min(len(buf)-n, int(4096-(addr+uint64(n))%4096))
		if err := p.ReadMem(addr+uint64(n), buf[n:n+chunk]); err != nil {
			if n == 0 {
				return 0, err
			}
			break
		}
		n += chunk
	}
	for a, orig := range s.bps {
		if a >= addr && a < addr+uint64(n) {
			buf[a-addr] = orig
		}
	}
	return n, nil
}

// MapsPid is the live pid whose /proc/PID/maps describes the debugged
// process (0 when it has ended).
func (s *Session) MapsPid() int {
	if p := s.mainProc(); p != nil {
		return p.Pid
	}
	return 0
}

// SetBreakpoint sets a software breakpoint for the client.
func (s *Session) SetBreakpoint(addr uint64) error {
	if err := s.insert(addr); err != nil {
		return err
	}
	s.user[addr] = true
	if s.armed == nil {
		s.armed = map[uint64]bool{}
	}
	s.armed[addr] = true
	return nil
}

// ClearBreakpoint removes a client's software breakpoint.
func (s *Session) ClearBreakpoint(addr uint64) error {
	delete(s.user, addr)
	delete(s.armed, addr)
	return s.remove(addr)
}

// insert puts an int3 at addr.
func (s *Session) insert(addr uint64) error {
	if _, ok := s.bps[addr]; ok {
		return nil
	}
	p := s.mainProc()
	if p == nil {
		return fmt.Errorf("breakpoint at %#x: process %d is not running", addr, s.tid)
	}
	var b [1]byte
	if err := p.ReadMem(addr, b[:]); err != nil {
		return fmt.Errorf("breakpoint at %#x: %w", addr, err)
	}
	if err := p.WriteMem(addr, []byte{int3}); err != nil {
		return fmt.Errorf("breakpoint at %#x: %w", addr, err)
	}
	s.bps[addr] = b[0]
	return nil
}

// remove takes the int3 at addr out.
func (s *Session) remove(addr uint64) error {
	orig, ok := s.bps[addr]
	if !ok {
		return nil
	}
	delete(s.bps, addr)
	p := s.mainProc()
	if s.done || p == nil {
		return nil
	}
	return p.WriteMem(addr, []byte{orig})
}

// armOnly makes exactly the given addresses breakpoints.
func (s *Session) armOnly(addrs map[uint64]bool) {
	for a := range s.bps {
		if !addrs[a] {
			s.remove(a)
		}
	}
	s.armed = addrs
	for a := range addrs {
		s.insert(a) // an address not mapped yet goes in when it is (remapped)
	}
}

// remapped keeps breakpoints right when the address space changed in
// [start, end): ones whose code was just mapped (a library loaded after
// they were set) go in, and ones the new mapping overwrote go in again.
func (s *Session) remapped(start, end uint64) {
	for a := range s.bps {
		if a >= start && a < end {
			delete(s.bps, a) // its int3 is gone with the old contents
		}
	}
	for a := range s.armed {
		if _, ok := s.bps[a]; !ok {
			s.insert(a)
		}
	}
}

// breakpointHit checks whether a SIGTRAP stop is one of our int3s and, if
// so, moves the pc back onto the breakpoint.
func (s *Session) breakpointHit() (bool, error) {
	regs, err := s.t.Regs()
	if err != nil {
		return false, err
	}
	if _, ok := s.bps[regs.Rip-1]; !ok || !s.inMain() {
		return false, nil
	}
	info, err := s.t.Siginfo()
	if err != nil {
		return false, err
	}
	if int32(binary.LittleEndian.Uint32(info[8:])) != arch.SI_KERNEL {
		return false, nil
	}
	regs.Rip--
	return true, s.t.SetRegs(&regs)
}

// Interrupt stops a Continue promptly. Unlike the other methods it may be
// called from any goroutine.
func (s *Session) Interrupt() {
	pid := int(s.pid.Load())
	if pid == 0 {
		return
	}
	s.stopSent.Store(true)
	tracee.Tkill(pid, unix.SIGSTOP)
}

// isEnd tells whether f ends the debugged process: its exit_group, or
// the exit of its last thread. The debugger stops at its entry.
func (s *Session) isEnd(f *trace.Frame) bool {
	if f.Kind != trace.KindSyscall || (f.Nr != unix.SYS_EXIT_GROUP && f.Nr != unix.SYS_EXIT) || s.tgidOf[f.Tid] != int32(s.tid) {
		return false
	}
	return f.Nr == unix.SYS_EXIT_GROUP || !s.hasOtherThreads(f.Tid)
}

// toEnd runs to the entry of the final exit and stays there.
func (s *Session) toEnd(f *trace.Frame) (Stopped, error) {
	if err := s.switchTo(f.Tid); err != nil {
		return Stopped{}, err
	}
	_, err := s.expectStopFirst(f, tracee.StopSyscall, "entry to "+arch.SyscallName(f.Nr), &f.Regs, true)
	if err == nil {
		s.held = nil
		s.atEnd = true
		return Stopped{Reason: StoppedEnd}, nil
	}
	return s.stopFor(err)
}

// stopFor turns the errors that end a run early into stops.
func (s *Session) stopFor(err error) (Stopped, error) {
	switch {
	case errors.Is(err, errBreakpoint):
		return Stopped{Reason: StoppedBreakpoint}, nil
	case errors.Is(err, errInterrupted):
		return Stopped{Reason: StoppedInterrupt}, nil
	case errors.Is(err, errWatch):
		return Stopped{Reason: StoppedWatch, Watch: s.lastWatch}, nil
	}
	return Stopped{}, err
}

// Continue replays forward until a breakpoint, a recorded signal, an
// interrupt or the end of the recording.
func (s *Session) Continue() (Stopped, error) {
	if st, ok := s.finished(); ok {
		return st, nil
	}
	// Off a breakpoint at the pc first; unless a signal is to be delivered
	// here: it is hit after the delivery, as on a real kernel (gdb resumes
	// so, with a breakpoint at the pc, to step over a signal).
	if regs, err := s.t.Regs(); err == nil && s.inMain() && s.sig == 0 {
		if _, ok := s.bps[regs.Rip]; ok {
			st, err := s.StepInsn()
			if err != nil || st.Reason != StoppedStep {
				return st, err
			}
		}
	}
	for {
		if s.interrupted {
			s.interrupted = false
			return Stopped{Reason: StoppedInterrupt}, nil
		}
		f, err := s.peek()
		if err != nil {
			return Stopped{}, err
		}
		if s.isEnd(f) {
			return s.toEnd(f)
		}
		if err := s.Step(); err != nil {
			return s.stopFor(err)
		}
		if s.debuggedSignal(f) {
			return Stopped{Reason: StoppedSignal, Signal: int(f.Signo)}, nil
		}
		if st, ok := s.finished(); ok { // killed, while other processes live on
			return st, nil
		}
	}
}

// debuggedSignal tells whether f delivers a signal in the debugged
// process (the debugger is told of those).
func (s *Session) debuggedSignal(f *trace.Frame) bool {
	return f.Kind == trace.KindSignal && s.tgidOf[f.Tid] == int32(s.tid)
}

func (s *Session) finished() (Stopped, bool) {
	switch {
	case s.done || s.ended:
		return Stopped{Reason: StoppedExited, Status: s.exit}, true
	case s.atEnd:
		return Stopped{Reason: StoppedEnd}, true
	}
	return Stopped{}, false
}

// StepInsn executes one instruction of the current thread, after the
// frames of other threads that come before its next one.
func (s *Session) StepInsn() (Stopped, error) {
	if st, ok := s.finished(); ok {
		return st, nil
	}
	me := s.cur // replaying other frames switches s.cur; it steps after them
	for {
		f, err := s.peek()
		if err != nil {
			return Stopped{}, err
		}
		// The thread's own buffered records are loaded before it runs,
		// as a forward replay or a search loads them: a position named
		// here must be found again by those.
		if f.Tid == me && f.Kind != trace.KindBuffered || s.isEnd(f) {
			break
		}
		if err := s.Step(); err != nil {
			return s.stopFor(err)
		}
		if s.debuggedSignal(f) {
			return Stopped{Reason: StoppedSignal, Signal: int(f.Signo)}, nil
		}
		if st, ok := s.finished(); ok {
			return st, nil
		}
	}
	if err := s.switchTo(me); err != nil {
		return Stopped{}, err
	}
	// Never let a syscall run under PTRACE_SINGLESTEP (it would run for
	// real), nor step a thread stopped inside one that a KindEnter frame
	// began: replay the frame, which ends right after the call (or, for
	// KindEnter, in it).
	if tk := s.tasks[me]; tk != nil && (tk.atEntry || tk.inKernel) {
		return s.stepFrame()
	}
	regs, err := s.t.Regs()
	if err != nil {
		return Stopped{}, err
	}
	code := make([]byte, 2)
	// The syscall buffer library's exec site runs for real (runLibraryCall).
	atExecSite := regs.Rip+uint64(len(arch.InsnSyscall)) == preload.ExecIP
	if _, err := s.ReadMemory(regs.Rip, code); err == nil && bytes.Equal(code, arch.InsnSyscall) && !atExecSite {
		f, err := s.peek()
		if err != nil {
			return Stopped{}, err
		}
		if s.isEnd(f) || f.Kind == trace.KindSyscall || f.Kind == trace.KindEnter {
			return s.stepFrame()
		}
	}
	if f, err := s.peek(); err == nil && f.Tid == me && f.Kind == trace.KindSignal && f.Flags&trace.FlagSyncSignal == 0 {
		// A signal recorded here, at the last syscall's end: delivered
		// before the next instruction, as the recording had it.
		if err := s.Step(); err != nil {
			return s.stopFor(err)
		}
		if s.debuggedSignal(f) {
			return Stopped{Reason: StoppedSignal, Signal: int(f.Signo)}, nil
		}
	}
	orig, onBp := s.bps[regs.Rip]
	onBp = onBp && s.inMain()
	if onBp {
		if err := s.t.WriteMem(regs.Rip, []byte{orig}); err != nil {
			return Stopped{}, err
		}
	}
	sig := s.sig
	s.sig = 0
	ws, err := s.stepOne(sig)
	// A watched page faulted: complete the access before the breakpoint
	// goes back in (the fault left the pc on it).
	var pageHit, pageOurs bool
	if err == nil && ws.Stopped() && ws.StopSignal() == unix.SIGSEGV && len(s.protectedNow) > 0 {
		pageHit, pageOurs, err = s.pageFault()
	}
	if onBp {
		if werr := s.t.WriteMem(regs.Rip, []byte{int3}); err == nil {
			err = werr
		}
	}
	if err != nil {
		return Stopped{}, err
	}
	switch {
	case pageHit:
		return Stopped{Reason: StoppedWatch, Watch: s.lastWatch}, nil
	case pageOurs:
		return Stopped{Reason: StoppedStep}, nil
	case ws.Stopped() && ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == 0:
		if hit, err := s.breakpointHit(); hit || err != nil {
			return Stopped{Reason: StoppedBreakpoint}, err
		}
		if w, err := s.watchHit(); w != nil || err != nil {
			s.lastWatch = w
			return Stopped{Reason: StoppedWatch, Watch: w}, err
		}
		return Stopped{Reason: StoppedStep}, nil
	case ws.Stopped() && ws.StopSignal() == unix.SIGSTOP && s.stopSent.Swap(false):
		return Stopped{Reason: StoppedInterrupt}, nil
	}
	// A trapped instruction or a fault: the next frame explains it.
	s.held = &ws
	f, err := s.peek()
	if err != nil {
		return Stopped{}, err
	}
	if err := s.Step(); err != nil {
		return s.stopFor(err)
	}
	if f.Kind == trace.KindSignal {
		return Stopped{Reason: StoppedSignal, Signal: int(f.Signo)}, nil
	}
	return Stopped{Reason: StoppedStep}, nil
}

// stepFrame replays the current thread's next frame as one step (its
// syscall), or runs to the final exit's entry.
func (s *Session) stepFrame() (Stopped, error) {
	f, err := s.peek()
	if err != nil {
		return Stopped{}, err
	}
	if s.isEnd(f) {
		return s.toEnd(f)
	}
	// A breakpoint on the syscall instruction would stop the frame's
	// replay before it: it is lifted meanwhile (a call the replay makes,
	// such as clone, runs the instruction).
	regs, err := s.t.Regs()
	if err != nil {
		return Stopped{}, err
	}
	if _, ok := s.bps[regs.Rip]; ok {
		if err := s.remove(regs.Rip); err != nil {
			return Stopped{}, err
		}
		defer func() {
			if s.armed[regs.Rip] && s.mainProc() != nil {
				s.insert(regs.Rip)
			}
		}()
	}
	if err := s.Step(); err != nil {
		return s.stopFor(err)
	}
	return Stopped{Reason: StoppedStep}, nil
}

// stepOne executes one instruction of the current thread and waits for
// its stop. A SIGCHLD that the replay's own children raised (not the
// recording's, see resume) is dropped and the step made again. The kernel
// unblocks SIGTRAP when it raises the step's trap in a thread that blocks
// it (force_sig_info), which the program would then see (glibc blocks
// every signal around clone and in posix_spawn's child): it is blocked
// again after the step, as rr does.
func (s *Session) stepOne(sig int) (unix.WaitStatus, error) {
	trap := uint64(1) << (unix.SIGTRAP - 1)
	before, berr := s.sigmask(unix.PTRACE_GETSIGMASK, 0)
	var ws unix.WaitStatus
	for {
		if err := s.t.Step(sig); err != nil {
			return 0, err
		}
		var err error
		if ws, err = s.t.Wait(); err != nil {
			return ws, err
		}
		if !ws.Stopped() || ws.StopSignal() != unix.SIGCHLD || !s.notRecorded() {
			break
		}
		sig = 0
	}
	if berr != nil || before&trap == 0 || !ws.Stopped() {
		return ws, nil
	}
	after, err := s.sigmask(unix.PTRACE_GETSIGMASK, 0)
	if err == nil && after&trap == 0 {
		_, err = s.sigmask(unix.PTRACE_SETSIGMASK, after|trap)
	}
	if err != nil {
		return ws, fmt.Errorf("keeping SIGTRAP blocked across a step: %w", err)
	}
	return ws, nil
}

// sigmask gets or sets the current thread's signal mask.
func (s *Session) sigmask(req int, mask uint64) (uint64, error) {
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(s.t.Pid), 8, uintptr(unsafe.Pointer(&mask)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return mask, nil
}

// Restart replays again from the start ("" or "0"), or up to event N
// ("N"). Breakpoints are kept where they can be inserted.
func (s *Session) Restart(arg string) error {
	target := int64(0)
	switch {
	case arg == "":
	case arg[0] == 'c':
		return s.restartAtCheckpoint(arg)
	default:
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("restart: %q is not an event number", arg)
		}
		target = n
	}
	// The debugged process's history starts at begin (process.go).
	target = max(target, s.begin)
	restored, err := s.restoreBefore(target)
	if err != nil {
		return err
	}
	if !restored {
		if !s.done {
			s.killLive()
		}
		s.r.Close()
		r, err := trace.Open(s.dir)
		if err != nil {
			return err
		}
		s.r = r
		s.resetLive(nil, 0, nil)
		if err := s.start(); err != nil {
			return err
		}
	}
	for s.frame < target {
		f, err := s.peek()
		if err != nil {
			return err
		}
		if s.isEnd(f) {
			return fmt.Errorf("restart: event %d is past the end of the recording (the last is %d)", target, s.frame)
		}
		if err := s.Step(); err != nil {
			return err
		}
	}
	if err := s.focusAtBegin(); err != nil {
		return err
	}
	s.armOnly(s.user)
	return s.armWatches()
}

// auxvOf extracts the auxiliary vector from an initial stack image.
func auxvOf(stack []byte) []byte {
	word := func(off int) (uint64, bool) {
		if off < 0 || off+8 > len(stack) {
			return 0, false
		}
		return binary.LittleEndian.Uint64(stack[off:]), true
	}
	argc, ok := word(0)
	if !ok || argc > uint64(len(stack)) {
		return nil
	}
	off := 8 * int(argc+2)
	for {
		v, ok := word(off)
		if !ok {
			return nil
		}
		off += 8
		if v == 0 {
			break
		}
	}
	start := off
	for {
		typ, ok := word(off)
		if !ok {
			return nil
		}
		off += 16
		if typ == arch.AT_NULL {
			return stack[start:min(off, len(stack))]
		}
	}
}

// OpenFile opens the trace's copy of path, or path itself.
func (s *Session) OpenFile(path string) (*os.File, error) {
	if c, ok := s.files[path]; ok {
		return os.Open(c)
	}
	return os.Open(path)
}
