package replayer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

// Options configure a replay.
type Options struct {
	// Echo receives what the program writes to fds 1 and 2 (autopilot).
	Stdout, Stderr io.Writer
	// Warn receives warnings meant for the user.
	Warn func(string)
	// NoHardwareWatchpoints says the host's debug registers do not fire
	// (rewind doctor): watchpoints use page protection.
	NoHardwareWatchpoints bool
	// Watchpoints forces one implementation of watchpoints.
	Watchpoints WatchMode
	// Preemption points are found with an in-process trampoline, else an
	// in-kernel conditional breakpoint (BPF), else int3 breakpoints (a
	// ptrace stop per pass). These force the slower ways.
	NoTrampoline, NoBPF bool
	// Process is the recorded pid of the process the debugger sees (0:
	// the first). NewTarget replays up to its first exec, or with AtFork
	// up to the fork that created it, and the debugger starts there
	// (rr's replay -p and -f; process.go).
	Process int32
	AtFork  bool
}

// Session is one replay of a trace. Its methods must run on one locked
// OS thread (they issue ptrace requests).
type Session struct {
	opts  Options
	r     *trace.Reader
	t     *tracee.Proc
	frame int64 // number of the frame being replayed
	sig   int   // signal to deliver at the next resume
	exit  unix.WaitStatus
	done  bool
	dir   string

	next *trace.Frame     // the frame to replay next, once read
	held *unix.WaitStatus // a stop that already happened, for the next resume
	// atEnd: stopped at the entry of the final exit, so the program can
	// still be inspected (what rr reports as the end of the replay).
	atEnd bool
	bps   map[uint64]byte // int3s in the program: address → displaced byte
	user  map[uint64]bool // the client's breakpoints
	armed map[uint64]bool // the breakpoints wanted now (armOnly)
	// watches are the client's watchpoints, in the debug registers as
	// slots unless watchOff (while navigating); lastWatch fired last.
	watches  []watch
	slots    []slot
	watchOff bool
	// protectedNow maps the pages protected for watchpoints to the
	// protection set; pageOrig keeps the program's own.
	protectedNow map[uint64]int
	pageOrig     map[uint64]int
	lastWatch    *watch

	checkpoints    map[int]Checkpoint
	nextCheckpoint int

	// snaps are fork snapshots at frame boundaries, taken as the replay
	// moves forward (when autoSnap) so going back restores the nearest
	// one instead of replaying from the start.
	snaps     []snap
	local     []snap // see keepHere
	autoSnap  bool
	snapEvery int64
	ours      map[int]bool // pids of snapshots and restored processes
	// skipNext: the thread resumes to a call replay emulates, which the
	// kernel skips (PTRACE_SYSEMU).
	skipNext bool
	// noThreadSnaps: a snapshot of several threads failed; single-threaded
	// ones go on. restores and threadRestores count uses (SnapshotStats).
	noThreadSnaps            bool
	restores, threadRestores int
	// stopSent: Interrupt sent SIGSTOP; interrupted: it arrived where the
	// replay could not stop, so it stops at the next frame boundary.
	stopSent    atomic.Bool
	pid         atomic.Int64 // live pid of the replay, for Interrupt
	interrupted bool
	files       map[string]string // original path → copy in the trace
	siginfo     []byte            // of the last recorded signal (gdb's $_siginfo)
	// tid is the recorded pid of the debugged process (process.go); its
	// history starts at the boundary before frame begin (1: the start);
	// ended: it has ended (killed while others live on).
	tid   int
	begin int64
	ended bool
	// frameTids: the thread of every frame of the trace, once needed.
	frameTids []int32
	// exes and auxvs are each recorded process's program path and
	// auxiliary vector (a forked child inherits its parent's).
	exes  map[int32]string
	auxvs map[int32][]byte
	// tasks are the live threads by recorded id; s.t is the one of cur.
	tasks  map[int32]*task
	tgidOf map[int32]int32 // recorded thread → recorded process, dead ones too
	cur    int32
	// ownMapping is a range rewind mapped into the program for a while
	// (a trampoline), left out of memory digests.
	ownMapping [2]uint64
	// mapFDs holds, per recorded process, the descriptors of the trace's
	// copies of files it has open to map from (close-on-exec, unseen by
	// the program, whose descriptor calls are emulated): the dynamic
	// linker maps each library three or four times, and an open and a
	// close cost two injected calls each time.
	mapFDs map[int32]map[string]int
	// sameAsRecorded: files found the same as their copies in the trace.
	sameAsRecorded map[string]bool
	// cpus: those rewind may use; cpuWarned: a recorded CPU not among
	// them was reported; tracerCPU: the one the replay's own thread is
	// pinned to (-1: none), that of the thread it runs (followCPU).
	cpus      unix.CPUSet
	cpuWarned bool
	tracerCPU int
}

// Open starts replaying the trace in dir: it checks the trace and the
// host, and starts the program stopped at its first instruction.
func Open(dir string, opts Options) (*Session, error) {
	// Absolute: the program runs in the recording's directory and opens
	// the trace's copies of files itself.
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	r, err := trace.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := checkHeaderMode(r.Header); err != nil { // ticks.go
		r.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	s := &Session{opts: opts, r: r, dir: dir, bps: map[uint64]byte{}, user: map[uint64]bool{}, files: map[string]string{},
		checkpoints: map[int]Checkpoint{}, protectedNow: map[uint64]int{}, pageOrig: map[uint64]int{}, snapEvery: firstSnapSpacing, ours: map[int]bool{},
		tasks: map[int32]*task{}, tgidOf: map[int32]int32{}, begin: 1, exes: map[int32]string{}, auxvs: map[int32][]byte{}}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Session) warn(msg string) {
	if s.opts.Warn != nil {
		s.opts.Warn(msg)
	}
}

// Close kills the replayed program and closes the trace.
func (s *Session) Close() {
	if !s.done {
		s.killLive()
	}
	s.releaseSnapshots()
	s.r.Close()
}

// Done reports whether the replay reached the end of the recording, and
// how the program ended.
func (s *Session) Done() (bool, unix.WaitStatus) { return s.done, s.exit }

// Frame returns the number of the next frame to replay.
func (s *Session) Frame() int64 { return s.frame }

func (s *Session) diverged(f *trace.Frame, what, exp, act string) error {
	return &DivergenceError{Frame: s.frame, Tid: f.Tid, What: what, Expected: exp, Actual: act}
}

func (s *Session) start() error {
	h := s.r.Header
	if !h.CPUIDTrapped {
		if d := h.CPU.Differences(trace.HostCPU()); len(d) > 0 {
			s.warn("this CPU differs from the recording's, replay may diverge: " + d[0])
		}
	}
	f, err := s.r.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: the recording is incomplete and holds no event: nothing to replay", s.r.Dir)
	}
	if err != nil {
		return err
	}
	if f.Kind != trace.KindExec {
		return fmt.Errorf("%s: the first event is %v, not exec", s.r.Dir, f.Kind)
	}
	dir := h.Cwd
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = "/"
	}
	cpu := h.PinnedCPU
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		s.cpus = set
	}
	if !set.IsSet(cpu) {
		s.warn(fmt.Sprintf("the recording ran on CPU %d, which this replay cannot use; CPUID answers may differ", cpu))
		s.cpuWarned = true // once: pin would say it again at the first exec
		cpu = -1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	t, err := tracee.Spawn(tracee.SpawnOptions{Path: s.r.File(f.ExeFile), Argv: h.Args, Env: h.Env, Dir: dir,
		Files: []*os.File{devnull, devnull, devnull}, Setpgid: true, CPU: cpu})
	if err != nil {
		return fmt.Errorf("starting %s: %w", f.Exe, err)
	}
	s.tracerCPU = cpu
	s.tasks, s.tgidOf, s.mapFDs = map[int32]*task{}, map[int32]int32{}, nil
	s.addTask(f.Tid, f.Tid, t)
	s.t, s.cur = t, f.Tid
	s.pid.Store(int64(t.Pid))
	if err := s.applyExec(f); err != nil {
		return err
	}
	s.frame++
	return nil
}

// clearBelowStack zeroes what this exec's kernel wrote below the recorded
// initial stack pointer: its stack was laid out for another path (the
// trace's copy of the program), and stays below the recorded one; under
// the recorded stack pointer the recording had zeros, which memory
// fingerprints cover.
func (s *Session) clearBelowStack(f *trace.Frame) error {
	regs, err := s.t.Regs()
	if err != nil {
		return err
	}
	if regs.Rsp >= f.Regs.Rsp || f.Regs.Rsp-regs.Rsp > 1<<20 {
		return nil
	}
	if err := s.t.WriteMem(regs.Rsp, make([]byte, f.Regs.Rsp-regs.Rsp)); err != nil {
		return fmt.Errorf("clearing the initial stack: %w", err)
	}
	return nil
}

// applyExec makes the freshly loaded image identical to the recorded one.
func (s *Session) applyExec(f *trace.Frame) error {
	for _, m := range f.Files {
		if s.sameAsRecorded[m.Path] {
			continue
		}
		if err := sameFile(m.Path, s.r.File(m.File)); err != nil {
			return fmt.Errorf("%s changed since the recording, replay would diverge: %w", m.Path, err)
		}
		if s.sameAsRecorded == nil {
			s.sameAsRecorded = map[string]bool{}
		}
		s.sameAsRecorded[m.Path] = true
	}
	if err := s.pin(f.CPU); err != nil {
		return err
	}
	if err := s.clearBelowStack(f); err != nil {
		return err
	}
	if f.Flags&trace.FlagPreloaded != 0 {
		if err := s.startBuffer(f); err != nil { // it makes rdtsc fault
			return err
		}
	} else if err := s.t.TrapInstructions(s.r.Header.CPUIDTrapped); err != nil {
		return err
	}
	tgid := s.tgidOf[f.Tid]
	delete(s.mapFDs, tgid) // closed by the exec
	for _, w := range f.Mem {
		if err := s.t.WriteMem(w.Addr, w.Data); err != nil {
			return fmt.Errorf("restoring the initial stack: %w", err)
		}
		s.auxvs[tgid] = auxvOf(w.Data)
	}
	if s.tid == 0 {
		s.tid = int(tgid) // the first process, debugged unless Options.Process says
	}
	if tgid == int32(s.tid) {
		// The debugger's int3s went with the old image; taking them out
		// later must not write old bytes into the new one.
		s.bps = map[uint64]byte{}
	}
	s.exes[tgid] = f.Exe
	// Files of every process: the debugger may be given any of them.
	s.files[f.Exe] = s.r.File(f.ExeFile)
	for _, m := range f.Files {
		s.files[m.Path] = s.r.File(m.File)
	}
	return s.t.SetRegs(&f.Regs)
}

// pin puts the process just exec'd on the CPU it ran on when recorded
// (cpu, -1 in older traces: the one it inherited), so CPUID answers the
// same there.
func (s *Session) pin(cpu int32) error {
	if cpu < 0 {
		return nil
	}
	if !s.cpus.IsSet(int(cpu)) {
		if !s.cpuWarned {
			s.cpuWarned = true
			s.warn(fmt.Sprintf("a process of the recording ran on CPU %d, which this replay cannot use; CPUID answers may differ", cpu))
		}
		return nil
	}
	return tracee.Pin(s.t.Pid, int(cpu))
}

// startBuffer runs the set-up of the syscall buffer's library, as
// the recording did at exec f (preload.Start); the registration of the
// thread's slot answers that the filter applies, which replay never
// installs, and writes the slot's header for replay.
func (s *Session) startBuffer(f *trace.Frame) error {
	maps, err := tracee.ReadMaps(s.t.Pid)
	if err != nil {
		return err
	}
	text := tracee.FindMapping(maps, f.Regs.Rip)
	if text == nil {
		return s.diverged(f, "the exec's entry is not mapped", fmt.Sprintf("%#x", f.Regs.Rip), "")
	}
	regs := f.Regs
	regs.Gs_base = 0 // as exec left it; the frame has it as the set-up left it
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", s.t.Pid))
	if err != nil {
		return err
	}
	program := text.Path == exe // a static program
	_, err = preload.Start(s.t, regs, [2]uint64{text.Start, text.End}, program, s.r.Header.CPUIDTrapped, s.r.Header.FormatVersion >= 10, func(e *unix.PtraceRegs) (int64, error) {
		hdr := preload.Header{Mode: preload.ModeReplay, Cap: preload.SlotSize - preload.RecordsOff}
		return 1, s.t.WriteMem(e.Rdi, hdr.Encode())
	})
	return err
}

func sameFile(a, b string) error {
	da, err := os.ReadFile(a)
	if err != nil {
		return err
	}
	db, err := os.ReadFile(b)
	if err != nil {
		return err
	}
	if !bytes.Equal(da, db) {
		return errors.New("its content differs from the copy in the trace")
	}
	return nil
}

// Run replays to the end of the recording.
func (s *Session) Run() error {
	for !s.done {
		if err := s.Step(); err != nil {
			return err
		}
	}
	return nil
}

var debugReplay = os.Getenv("REWIND_DEBUG_REPLAY") != ""

// Step replays the next frame.
func (s *Session) Step() error {
	if s.done {
		return io.EOF
	}
	f, err := s.peek()
	if err != nil {
		return err
	}
	if debugReplay {
		fmt.Fprintf(os.Stderr, "replay: event %d: %v tid %d nr %d\n", s.frame, f.Kind, f.Tid, f.Nr)
	}
	if f.Kind != trace.KindExit || f.Flags&trace.FlagThread != 0 {
		if err := s.switchTo(f.Tid); err != nil {
			return s.diverged(f, err.Error(), "", "")
		}
		if s.tasks[s.cur].restartAs != nil {
			if err := s.restart(f); err != nil {
				return err
			}
		}
	}
	switch f.Kind {
	case trace.KindSyscall:
		err = s.syscall(f)
	case trace.KindSignal:
		err = s.signal(f)
	case trace.KindInsn:
		err = s.insn(f)
	case trace.KindEnter:
		err = s.enter(f)
	case trace.KindPreempt:
		err = s.preempt(f)
	case trace.KindBuffered:
		err = s.buffered(f)
	case trace.KindExit:
		if f.Flags&trace.FlagThread != 0 {
			err = s.threadExit(f)
		} else {
			err = s.processExit(f)
		}
	default:
		err = s.diverged(f, fmt.Sprintf("unexpected %v event", f.Kind), "", "")
	}
	if err != nil {
		return err
	}
	s.next = nil
	s.frame++
	if s.autoSnap {
		s.maybeSnapshot()
	}
	return nil
}

// buffered loads the calls a thread made through the syscall buffer into
// its slot, where the library takes their results from.
func (s *Session) buffered(f *trace.Frame) error {
	if len(f.Mem) == 2 && preload.AnyExecuted(f.Mem[1].Data) {
		s.tasks[s.cur].runsCalls = true
	}
	return s.writeFrameMem(s.t, f, "loading the syscall buffer")
}

// writeFrameMem writes the memory writes of f through thread p; a write
// that fails is a divergence, named by what.
func (s *Session) writeFrameMem(p *tracee.Proc, f *trace.Frame, what string) error {
	for _, w := range f.Mem {
		if err := p.WriteMem(w.Addr, w.Data); err != nil {
			return s.diverged(f, what, "", err.Error())
		}
	}
	return nil
}

func bufferedName(nr uint64) string {
	if uint32(nr) == uint32(preload.MarkerTraced) || int64(nr) == -1 {
		return "no buffered call"
	}
	return arch.SyscallName(nr)
}

// peek returns the next frame without consuming it.
func (s *Session) peek() (*trace.Frame, error) {
	if s.next != nil {
		return s.next, nil
	}
	f, err := s.r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: the trace ends without the program's exit (incomplete recording)", s.r.Dir)
	}
	if err != nil {
		return nil, err
	}
	s.next = f
	return f, nil
}

// resume continues the tracee to its next stop, delivering a pending
// signal. With first set, the program's own code may run before the stop
// (the first resume of a frame): a breakpoint or an interrupt may then
// end it, before the frame changed anything, so the frame is replayed
// again from the start on the next resume.
func (s *Session) resume(first bool) (unix.WaitStatus, error) {
	if s.held != nil {
		ws := *s.held
		s.held = nil
		return ws, nil
	}
	for {
		sig := s.sig
		s.sig = 0
		resume := s.t.Syscall
		if s.skipNext {
			resume = s.t.Sysemu
		}
		if err := resume(sig); err != nil {
			return 0, fmt.Errorf("resume: %w", err)
		}
		ws, err := s.t.Wait()
		if err != nil {
			return ws, err
		}
		if ws.Stopped() && ws.StopSignal() == unix.SIGCHLD && s.notRecorded() {
			continue
		}
		if ran, err := s.runLibraryCall(ws); ran || err != nil {
			if err != nil {
				return ws, err
			}
			continue
		}
		if ws.Stopped() && isStopSignal(ws.StopSignal()) && s.groupStop() {
			continue // the recording went on through it too
		}
		if ws.Stopped() && ws.StopSignal() == unix.SIGSTOP && s.stopSent.Swap(false) {
			if first {
				return ws, errInterrupted
			}
			s.interrupted = true
			continue
		}
		if first && ws.Stopped() && ws.StopSignal() == unix.SIGSEGV && len(s.protectedNow) > 0 {
			hit, ours, err := s.pageFault()
			if err != nil {
				return ws, err
			}
			if hit {
				return ws, errWatch
			}
			if ours {
				continue
			}
		}
		if first && ws.Stopped() && ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == 0 {
			if hit, err := s.breakpointHit(); hit || err != nil {
				return ws, errOr(err, errBreakpoint)
			}
			if w, err := s.watchHit(); w != nil || err != nil {
				s.lastWatch = w
				return ws, errOr(err, errWatch)
			}
		}
		return ws, nil
	}
}

// runLibraryCall runs a call the syscall buffer library makes again in
// replay (at preload.ExecIP: signal actions, anonymous memory), if the
// thread stopped at one; the library checks its result.
func (s *Session) runLibraryCall(ws unix.WaitStatus) (bool, error) {
	if !ws.Stopped() || ws.StopSignal() != tracee.StopSyscall {
		return false, nil
	}
	regs, err := s.t.Regs()
	if err != nil || regs.Rip != preload.ExecIP {
		return false, err
	}
	run := s.t.RunCall
	if regs.Orig_rax == unix.SYS_MMAP && regs.R10&mapAnonymous == 0 {
		run = s.bufferedFileMap
	}
	if err := run(regs); err != nil {
		return true, err
	}
	if regs.Orig_rax == unix.SYS_MMAP && s.inMain() { // breakpoints are in its memory only
		after, err := s.t.Regs()
		if err != nil {
			return true, err
		}
		if !arch.Failed(int64(after.Rax)) {
			s.remapped(after.Rax, after.Rax+regs.Rsi) // code mapped anew
		}
	}
	return true, nil
}

// slotHeader reads the header of the current thread's syscall buffer
// slot at slot.
func (s *Session) slotHeader(slot uint64) (preload.Header, error) {
	raw := make([]byte, preload.HeaderSize)
	if err := s.t.ReadMem(slot, raw); err != nil {
		return preload.Header{}, fmt.Errorf("reading the syscall buffer: %w", err)
	}
	return preload.DecodeHeader(raw), nil
}

// bufferedFileMap runs a file mmap the library replays at the exec site,
// stopped at its entry with registers regs: it maps the trace's copy of
// the file (named in the call's record, the slot's current one) in place
// of the program's descriptor, which replay does not have.
func (s *Session) bufferedFileMap(regs unix.PtraceRegs) error {
	slot := regs.Gs_base // the library's %gs points at the thread's slot
	h, err := s.slotHeader(slot)
	if err != nil {
		return err
	}
	rec := make([]byte, preload.RecordSize+preload.FileMapData)
	if h.Cursor+uint64(len(rec)) > h.Used || s.t.ReadMem(slot+preload.RecordsOff+h.Cursor, rec) != nil {
		return fmt.Errorf("the buffered mmap at the exec site has no record (cursor %d of %d bytes)", h.Cursor, h.Used)
	}
	recs := preload.Records(rec)
	if len(recs) != 1 || !preload.IsFileMap(recs[0]) {
		return fmt.Errorf("the record of the buffered mmap at the exec site is not one of a file mapping")
	}
	name := preload.FileMapName(recs[0].Data)
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return fmt.Errorf("the buffered mmap at the exec site names %q, not a copy in the trace's files/", name)
	}
	st, err := os.Stat(s.r.File(name))
	if err != nil {
		return fmt.Errorf("a buffered mmap: %w", err)
	}
	m := &trace.Mapping{File: name, Path: name, Offset: regs.R9, Size: uint64(st.Size())}
	run := regs
	fill, err := s.fromCopy(m, &run)
	if err != nil {
		return err
	}
	if err := s.t.SetRegs(&run); err != nil {
		return err
	}
	if err := s.t.RunCall(run); err != nil {
		return err
	}
	after, err := s.t.Regs()
	if err != nil {
		return err
	}
	if fill && !arch.Failed(int64(after.Rax)) {
		if err := s.fillMapping(&trace.Frame{Kind: trace.KindBuffered, Tid: s.cur}, m, after.Rax, regs.Rsi); err != nil {
			return err
		}
	}
	after.R8, after.R9, after.R10 = regs.R8, regs.R9, regs.R10
	return s.t.SetRegs(&after)
}

func isStopSignal(sig unix.Signal) bool {
	return sig == unix.SIGSTOP || sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU
}

// groupStop tells whether the thread is in a group-stop (no siginfo).
func (s *Session) groupStop() bool {
	_, err := s.t.Siginfo()
	return err == unix.EINVAL
}

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// expectStop resumes and checks the tracee stops with want and registers
// equal to regs (nil: unchecked).
func (s *Session) expectStop(f *trace.Frame, want unix.Signal, what string, regs *unix.PtraceRegs) (unix.PtraceRegs, error) {
	return s.expectStopFirst(f, want, what, regs, false)
}

// expectStopFirst is expectStop for the first resume of a frame.
func (s *Session) expectStopFirst(f *trace.Frame, want unix.Signal, what string, regs *unix.PtraceRegs, first bool) (unix.PtraceRegs, error) {
	ws, err := s.resume(first)
	if err != nil {
		return unix.PtraceRegs{}, err
	}
	if !ws.Stopped() || ws.StopSignal() != want {
		return unix.PtraceRegs{}, s.diverged(f, "expected "+what, what, s.describeStop(ws))
	}
	have, err := s.t.Regs()
	if err != nil {
		return have, err
	}
	if regs != nil {
		diff := diffRegs
		if s.olderLibrary() && regs.Rip == preload.TracedIP {
			diff = diffCallRegs
		}
		if exp, act, same := diff(regs, &have); !same {
			return have, s.diverged(f, "registers differ at "+what, exp, act)
		}
	}
	return have, nil
}

// olderLibrary tells whether the trace was recorded with an older build
// of the syscall buffer's library, whose own traced calls (libc's
// patching up to format 6) left other values in the registers the call
// does not read.
func (s *Session) olderLibrary() bool { return s.r.Header.FormatVersion < 7 }

func (s *Session) describeStop(ws unix.WaitStatus) string {
	d := tracee.Describe(ws)
	if ws.Stopped() {
		if ws.StopSignal() == tracee.StopSyscall {
			d = "a syscall"
			if r, err := s.t.Regs(); err == nil {
				d = fmt.Sprintf("syscall %s at %#x", arch.SyscallName(r.Orig_rax), r.Rip)
				if r.Orig_rax == arch.SysRewindDiverged {
					d = fmt.Sprintf("%s through the syscall buffer where the recording has %s", arch.SyscallName(r.Rdi), bufferedName(r.Rsi))
					if r.Rdi == r.Rsi {
						d = fmt.Sprintf("%s through the syscall buffer returned %d, the recording %d", arch.SyscallName(r.Rdi), int64(r.Rdx), int64(r.R10))
					}
				}
			}
		} else if r, err := s.t.Regs(); err == nil {
			d += fmt.Sprintf(" at %#x", r.Rip)
		}
	}
	return d
}

// emulated gives an emulated call its recorded outcome; regs are the
// thread's at the call's exit, or at its entry when the kernel skips it.
func (s *Session) emulated(f *trace.Frame, regs unix.PtraceRegs, name string) error {
	if f.Flags&trace.FlagRestart != 0 {
		regs.Rax = f.Nr
		regs.Rip -= uint64(len(arch.InsnSyscall))
	} else {
		// As the kernel leaves it: signal delivery reads orig_rax to
		// restart interrupted calls.
		regs.Rax, regs.Orig_rax = uint64(f.Result), f.Regs.Orig_rax
		if err := s.writeFrameMem(s.t, f, name+": writing its result"); err != nil {
			return err
		}
		s.echo(f)
		if nr, ok := restartedAs(f); ok {
			s.tasks[s.cur].restartAs = &nr
		}
	}
	return s.t.SetRegs(&regs)
}

// restart makes the call the current thread was interrupted in again, as
// the kernel did when the thread went on without a signal handler (the
// recorder held the signal, or stopped the thread itself): it was never
// back in user mode. Before a signal's frame the kernel decides at the
// delivery.
func (s *Session) restart(f *trace.Frame) error {
	tk := s.tasks[s.cur]
	nr := *tk.restartAs
	tk.restartAs = nil
	if f.Kind == trace.KindSignal {
		return nil
	}
	regs, err := s.t.Regs()
	if err != nil {
		return err
	}
	regs.Rax = nr
	regs.Rip -= uint64(len(arch.InsnSyscall))
	return s.t.SetRegs(&regs)
}

// restartedAs tells whether an interrupted call with f's result is made
// again when no signal handler runs on the way out (a signal held by the
// recorder, rewind's own stop), and as which call.
func restartedAs(f *trace.Frame) (uint64, bool) {
	const errRestartSys, errRestartNoIntr, errRestartNoHand, errRestartBlock = -512, -513, -514, -516
	switch f.Result {
	case errRestartSys, errRestartNoIntr, errRestartNoHand:
		return f.Regs.Orig_rax, true
	case errRestartBlock:
		return arch.SysRestartSyscall, true
	}
	return 0, false
}

// mayWaitMasked tells whether an emulated call may be one that waits under
// a signal mask of its own (tempMask), which replay runs.
func mayWaitMasked(f *trace.Frame) bool {
	const errEINTR, errERESTARTNOHAND = -4, -514
	return f.Result == errEINTR || f.Result == errERESTARTNOHAND
}

func (s *Session) syscall(f *trace.Frame) error {
	name := arch.SyscallName(f.Nr)
	tk := s.tasks[s.cur]
	if tk.inKernel { // an executed call started by its KindEnter frame
		tk.inKernel = false
		return s.awaitClone(f)
	}
	sc := arch.LookupSyscall(f.Nr)
	if sc == nil {
		return s.diverged(f, "unknown syscall in trace", "", "")
	}
	// seccomp: only the syscall buffer's filter is recorded; replay runs
	// without it.
	emulate := sc.Policy == arch.Emulate || sc.Policy == arch.Disable || f.Flags&(trace.FlagRestart|trace.FlagDisabled) != 0 ||
		f.Nr == unix.SYS_SECCOMP
	var regs unix.PtraceRegs
	if tk.atEntry {
		tk.atEntry, regs = false, tk.entryRegs
	} else {
		// An emulated call the kernel skips by itself has no exit stop,
		// unless it may install a signal mask to wait under (tempMask).
		s.skipNext = emulate && !mayWaitMasked(f) && !tk.runsCalls
		tk.runsCalls = false
		var err error
		regs, err = s.expectStopFirst(f, tracee.StopSyscall, "entry to "+name, &f.Regs, true)
		skipped := s.skipNext
		s.skipNext = false
		if err != nil {
			return err
		}
		if skipped {
			return s.emulated(f, regs, name)
		}
	}
	if mask, ok := s.tempMask(f, &regs); ok && emulate {
		return s.suspend(f, regs, mask)
	}
	if emulate {
		regs.Orig_rax = ^uint64(0) // the kernel skips the call
		if err := s.t.SetRegs(&regs); err != nil {
			return err
		}
		after, err := s.expectStop(f, tracee.StopSyscall, "exit from "+name, nil)
		if err != nil {
			return err
		}
		return s.emulated(f, after, name)
	}
	switch f.Nr {
	case unix.SYS_EXIT, unix.SYS_EXIT_GROUP:
		return nil // the next frame, the exit, resumes it
	case unix.SYS_EXECVE, unix.SYS_EXECVEAT:
		return s.execve(f, regs)
	case unix.SYS_MMAP:
		return s.mmap(f, regs)
	case unix.SYS_MREMAP:
		return s.mremap(f, regs)
	case unix.SYS_CLONE, unix.SYS_CLONE3, unix.SYS_FORK, unix.SYS_VFORK:
		return s.clone(f, regs)
	}
	after, err := s.expectStop(f, tracee.StopSyscall, "exit from "+name, nil)
	if err != nil {
		return err
	}
	if f.Nr == unix.SYS_SET_TID_ADDRESS {
		// Run so the kernel clears and wakes the address at the thread's
		// exit; it returns the thread's id, the recorded one.
		after.Rax = uint64(f.Result)
		return s.t.SetRegs(&after)
	}
	if int64(after.Rax) != f.Result {
		return s.diverged(f, name+" returned a different result", fmt.Sprint(f.Result), fmt.Sprint(int64(after.Rax)))
	}
	return nil
}

const (
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	mapPrivate        = 0x02
	mapShared         = 0x01
	mapFixedNoreplace = 0x100000
)

// mmap runs the call at the recorded address. A file mapping becomes an
// anonymous one filled from the trace's copy of the file, so replay does
// not depend on the file system.
func (s *Session) mmap(f *trace.Frame, regs unix.PtraceRegs) error {
	entry := regs
	fill := false
	if !arch.Failed(f.Result) {
		regs.Rdi = uint64(f.Result)
		if regs.R10&mapFixed == 0 {
			regs.R10 |= mapFixedNoreplace
		}
		if f.Map != nil {
			var err error
			if fill, err = s.fromCopy(f.Map, &regs); err != nil {
				return err
			}
		}
		if err := s.t.SetRegs(&regs); err != nil {
			return err
		}
	}
	after, err := s.expectStop(f, tracee.StopSyscall, "exit from mmap", nil)
	if err != nil {
		return err
	}
	if int64(after.Rax) != f.Result {
		return s.diverged(f, "mmap returned a different address", fmt.Sprintf("%#x", f.Result), fmt.Sprintf("%#x", after.Rax))
	}
	if fill {
		if err := s.fillMapping(f, f.Map, after.Rax, entry.Rsi); err != nil {
			return err
		}
	}
	if f.Map != nil {
		s.files[f.Map.Path] = s.r.File(f.Map.File)
	}
	if !arch.Failed(f.Result) && s.inMain() { // breakpoints are in its memory only
		s.remapped(after.Rax, after.Rax+entry.Rsi)
	}
	after.Rdi, after.Rsi, after.Rdx, after.R10, after.R8, after.R9 = entry.Rdi, entry.Rsi, entry.Rdx, entry.R10, entry.R8, entry.R9
	if f.Flags&trace.FlagPatched != 0 {
		return preload.PatchText(s.t, after, after.Rax, after.Rax+entry.Rsi)
	}
	return s.t.SetRegs(&after)
}

// fromCopy points the mmap of registers regs at the trace's copy of
// mapping m, private: the copy opened in the process when worth it
// (worthMapping), else an anonymous mapping, which it tells is to be
// filled from the copy (fillMapping) after the call.
func (s *Session) fromCopy(m *trace.Mapping, regs *unix.PtraceRegs) (fill bool, err error) {
	fd := -1
	if s.worthMapping(m, regs.Rsi) {
		if fd, err = s.mapFD(m.File, regs.Rsp); err != nil {
			return false, err
		}
	}
	regs.R10 = regs.R10&^(mapShared|0x03) | mapPrivate
	if fd >= 0 {
		regs.R8, regs.R9 = uint64(fd), m.Offset
		return false, nil
	}
	regs.R10 |= mapAnonymous
	regs.R8, regs.R9 = ^uint64(0), 0
	return true, nil
}

// mapFromFileAt is the size from which a file mapping is replayed by
// mapping the trace's copy of the file (paged in lazily, shared between
// processes) instead of copying its contents in: opening the copy in the
// tracee costs two ptrace round trips, about what copying this much costs.
// A copy the process has open already is mapped whatever the size.
const mapFromFileAt = 128 << 10

// worthMapping tells whether mapping m, of length bytes, should come from
// the trace's copy of the file: a large one, or one of a copy open
// already, and a copy of the recorded size (beyond its end the mapping
// faults as the recorded one did).
func (s *Session) worthMapping(m *trace.Mapping, length uint64) bool {
	_, open := s.mapFDs[s.tgidOf[s.cur]][m.File]
	if m.Offset >= m.Size || !open && min(m.Size-m.Offset, length) < mapFromFileAt {
		return false
	}
	st, err := os.Stat(s.r.File(m.File))
	return err == nil && uint64(st.Size()) == m.Size
}

// mapFD returns a descriptor of the trace's copy file, open in the current
// process, opening it if it has none (-1 if it cannot be opened).
func (s *Session) mapFD(file string, sp uint64) (int, error) {
	tgid := s.tgidOf[s.cur]
	if fd, ok := s.mapFDs[tgid][file]; ok {
		return fd, nil
	}
	fd, err := s.openInTracee(s.r.File(file), sp)
	if err != nil || fd < 0 {
		return fd, err
	}
	if s.mapFDs == nil {
		s.mapFDs = map[int32]map[string]int{}
	}
	if s.mapFDs[tgid] == nil {
		s.mapFDs[tgid] = map[string]int{}
	}
	s.mapFDs[tgid][file] = fd
	return fd, nil
}

// openInTracee opens path read-only in the tracee, which is at the entry
// of a syscall, in place of that call; the path goes below the stack's red
// zone for the while, and what was there is put back (a program may read
// stale stack). It returns -1 when the open fails: the caller copies
// instead.
func (s *Session) openInTracee(path string, sp uint64) (int, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return -1, nil
	}
	name := append([]byte(abs), 0)
	at := (sp - 128 - uint64(len(name))) &^ 15
	saved := make([]byte, len(name))
	if s.t.ReadMem(at, saved) != nil || s.t.WriteMem(at, name) != nil {
		return -1, nil
	}
	cwd := int64(unix.AT_FDCWD)
	fd, err := s.t.InjectAtEntry(unix.SYS_OPENAT, uint64(cwd), at, unix.O_RDONLY|unix.O_CLOEXEC)
	if werr := s.t.WriteMem(at, saved); err == nil {
		err = werr
	}
	if err != nil {
		return -1, fmt.Errorf("opening %s in the replayed process: %w", path, err)
	}
	return int(max(fd, -1)), nil
}

// fillMapping copies mapping m (of frame f) from the trace's copy of its
// file into the process at addr.
func (s *Session) fillMapping(f *trace.Frame, m *trace.Mapping, addr, length uint64) error {
	file, err := os.Open(s.r.File(m.File))
	if err != nil {
		return fmt.Errorf("mapping %s: %w", m.Path, err)
	}
	defer file.Close()
	if m.Offset >= m.Size {
		return nil
	}
	n := m.Size - m.Offset
	if n > length {
		n = length
	}
	buf := make([]byte, min(n, 1<<20))
	for done := uint64(0); done < n; {
		chunk := buf
		if n-done < uint64(len(chunk)) {
			chunk = chunk[:n-done]
		}
		if _, err := file.ReadAt(chunk, int64(m.Offset+done)); err != nil {
			return fmt.Errorf("mapping %s from the trace: %w", m.Path, err)
		}
		if err := s.t.WriteMem(addr+done, chunk); err != nil {
			return s.diverged(f, "filling the mapping of "+m.Path, "", err.Error())
		}
		done += uint64(len(chunk))
	}
	return nil
}

func (s *Session) mremap(f *trace.Frame, regs unix.PtraceRegs) error {
	const mayMove, fixed = 1, 2
	entry := regs
	if !arch.Failed(f.Result) {
		if uint64(f.Result) != regs.Rdi {
			regs.R10 |= mayMove | fixed
			regs.R8 = uint64(f.Result)
			if err := s.t.SetRegs(&regs); err != nil {
				return err
			}
		}
	}
	after, err := s.expectStop(f, tracee.StopSyscall, "exit from mremap", nil)
	if err != nil {
		return err
	}
	if int64(after.Rax) != f.Result {
		return s.diverged(f, "mremap returned a different address", fmt.Sprintf("%#x", f.Result), fmt.Sprintf("%#x", after.Rax))
	}
	after.R10, after.R8 = entry.R10, entry.R8
	return s.t.SetRegs(&after)
}

// execve runs the call on the trace's copy of the recorded program; the
// exec frame that follows restores the recorded initial state.
func (s *Session) execve(f *trace.Frame, regs unix.PtraceRegs) error {
	if f.Result != 0 {
		// A failed exec changes nothing: emulate it.
		regs.Orig_rax = ^uint64(0)
		if err := s.t.SetRegs(&regs); err != nil {
			return err
		}
		after, err := s.expectStop(f, tracee.StopSyscall, "exit from execve", nil)
		if err != nil {
			return err
		}
		after.Rax = uint64(f.Result)
		return s.t.SetRegs(&after)
	}
	next, err := s.r.Read()
	if err != nil {
		return err
	}
	if next.Kind != trace.KindExec {
		return s.diverged(f, "a successful execve is not followed by its exec event", "exec", next.Kind.String())
	}
	path := append([]byte(s.r.File(next.ExeFile)), 0)
	addr := (regs.Rsp - 4096 - uint64(len(path))) &^ 15 // below the red zone; the old stack dies with the exec
	if err := s.t.WriteMem(addr, path); err != nil {
		return err
	}
	if f.Nr == unix.SYS_EXECVEAT {
		atFDCWD := int64(unix.AT_FDCWD)
		regs.Rdi, regs.Rsi = uint64(atFDCWD), addr
		regs.R8 &^= unix.AT_EMPTY_PATH
	} else {
		regs.Rdi = addr
	}
	if err := s.t.SetRegs(&regs); err != nil {
		return err
	}
	var ws unix.WaitStatus
	if tgid := s.tgidOf[s.cur]; s.cur != tgid {
		ws, err = s.execByThread(tgid)
	} else {
		ws, err = s.resume(false)
	}
	if err != nil {
		return err
	}
	if !ws.Stopped() || ws.TrapCause() != unix.PTRACE_EVENT_EXEC {
		return s.diverged(f, "execve of the recorded program failed", "exec", s.describeStop(ws))
	}
	if err := s.t.ReopenMem(); err != nil {
		return err
	}
	if _, err := s.expectStop(f, tracee.StopSyscall, "exit from execve", nil); err != nil {
		return err
	}
	s.frame++
	return s.applyExec(next)
}

// execByThread runs an exec by a thread other than its process's leader:
// the kernel ends the other threads, and the exec'ing thread goes on under
// the leader's id (as the recording did, its frames come under it). It
// returns the exec event's stop.
func (s *Session) execByThread(tgid int32) (unix.WaitStatus, error) {
	if err := s.t.Syscall(s.sig); err != nil {
		return 0, err
	}
	s.sig = 0
	leader := s.tasks[tgid]
	if leader == nil {
		return 0, fmt.Errorf("exec by thread %d: its process leader %d is gone", s.cur, tgid)
	}
	for tid, tk := range s.tasks {
		if tk.tgid == tgid && tid != tgid && tid != s.cur {
			tk.t.Reap()
			tk.t.Release()
			delete(s.tasks, tid)
		}
	}
	var ws unix.WaitStatus
	for i := 0; ; i++ {
		var err error
		if ws, err = leader.t.Wait(); err != nil {
			return ws, err
		}
		if debugReplay {
			fmt.Fprintf(os.Stderr, "replay: exec by thread %d: leader %s cause %d\n", s.cur, tracee.Describe(ws), ws.TrapCause())
		}
		if ws.TrapCause() == unix.PTRACE_EVENT_EXEC || i == 3 {
			break
		}
		// Stopped where it was: it must go on to die for the exec.
		leader.t.Syscall(0)
	}
	s.tasks[s.cur].t.Release()
	delete(s.tasks, s.cur)
	*leader = task{t: leader.t, tgid: tgid}
	s.t, s.cur = leader.t, tgid
	s.pid.Store(int64(leader.t.Pid))
	return ws, nil
}

func (s *Session) signal(f *trace.Frame) error {
	want := unix.Signal(f.Signo)
	if f.Flags&trace.FlagSyncSignal == 0 {
		// Recorded at a syscall boundary: raise it now, where it was.
		if err := tracee.Tkill(s.t.Pid, want); err != nil {
			return err
		}
	}
	if tk := s.tasks[s.cur]; tk.suspended != nil {
		if err := s.unsuspend(tk); err != nil {
			return err
		}
	}
	sync := f.Flags&trace.FlagSyncSignal != 0
	what := "signal " + unix.SignalName(want)
	have, err := s.expectStopFirst(f, want, what, nil, sync)
	if err != nil {
		return err
	}
	if have.Orig_rax != f.Regs.Orig_rax && f.Regs.Orig_rax == ^uint64(0) {
		// After a call the kernel skipped at its entry (PTRACE_SYSEMU)
		// it does not mark the thread out of the call as it does after
		// a real exit; mark it, so the call is not restarted either.
		have.Orig_rax = f.Regs.Orig_rax
		if err := s.t.SetRegs(&have); err != nil {
			return err
		}
	}
	if exp, act, same := diffRegs(&f.Regs, &have); !same {
		return s.diverged(f, "registers differ at "+what, exp, act)
	}
	if f.Flags&trace.FlagSyncSignal == 0 {
		if err := s.t.SetSiginfo(f.Siginfo); err != nil {
			return err
		}
	}
	s.sig = int(want)
	s.siginfo = f.Siginfo
	if f.Flags&trace.FlagSyncSignal == 0 {
		// As recorded: into the handler, with the frame's fault
		// information cleared.
		if err := s.enterHandler(f); err != nil {
			return err
		}
		if s.sig == 0 {
			return s.t.ClearFaultInfo()
		}
	}
	return nil
}

func (s *Session) insn(f *trace.Frame) error {
	if _, err := s.expectStopFirst(f, unix.SIGSEGV, "trapped instruction", &f.Regs, true); err != nil {
		return err
	}
	return s.t.SetRegs(&f.After)
}

// echo re-emits what the program wrote to the recording's stdout and
// stderr, read back from the replayed program's own memory.
func (s *Session) echo(f *trace.Frame) {
	if f.Result <= 0 {
		return
	}
	var out io.Writer
	switch {
	case f.Flags&trace.FlagStdout != 0:
		out = s.opts.Stdout
	case f.Flags&trace.FlagStderr != 0:
		out = s.opts.Stderr
	}
	if out == nil {
		return
	}
	n := uint64(f.Result)
	switch f.Nr {
	case unix.SYS_WRITE, unix.SYS_PWRITE64:
		buf := make([]byte, n)
		if s.t.ReadMem(f.Regs.Rsi, buf) == nil {
			out.Write(buf)
		}
	case unix.SYS_WRITEV, unix.SYS_PWRITEV, unix.SYS_PWRITEV2:
		cnt := f.Regs.Rdx
		if cnt > 1024 {
			return
		}
		iov := make([]byte, 16*cnt)
		if s.t.ReadMem(f.Regs.Rsi, iov) != nil {
			return
		}
		for i := uint64(0); i < cnt && n > 0; i++ {
			base := binary.LittleEndian.Uint64(iov[16*i:])
			l := min(binary.LittleEndian.Uint64(iov[16*i+8:]), n)
			buf := make([]byte, l)
			if s.t.ReadMem(base, buf) != nil {
				return
			}
			out.Write(buf)
			n -= l
		}
	}
}
