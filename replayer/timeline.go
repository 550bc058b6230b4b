package replayer

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

// Mark names a point of the replay without a PMU (soft mode): from the
// boundary before frame Frame (all earlier frames replayed), run to the
// Hit-th arrival at Addr within that frame's user code (Hit 0: stay at
// the boundary), then execute Steps instructions. End marks the stop at
// the final exit.
type Mark struct {
	Frame int64
	Addr  uint64
	Hit   int
	Steps int
	End   bool
}

// fingerprint identifies a state: two states with the same registers and
// writable memory have the same future, so either is "the" point.
type fingerprint struct {
	regs unix.PtraceRegs
	mem  [sha256.Size]byte
	maps []string // per-mapping digests, kept for REWIND_DEBUG_MARKS
}

// memHash hashes the writable memory of the program, with the pages
// protected for watchpoints. It is only computed for states whose
// registers already match.
func (s *Session) memHash() ([sha256.Size]byte, []string, error) {
	d, maps, err := s.t.MemDigest(tracee.DigestOptions{
		Extra:  func(p uint64) bool { _, ok := s.protectedNow[p]; return ok },
		Skip:   s.digestSkip(),
		Stacks: s.liveStacks(),
		PerMap: os.Getenv("REWIND_DEBUG_MARKS") != "",
		CRC:    s.crcDigests()})
	return d, maps, err
}

// crcDigests tells whether the recording's memory digests are CRC-32
// pairs (tracee.DigestOptions.CRC), as from trace format 6 on.
func (s *Session) crcDigests() bool { return s.r.Header.FormatVersion >= 6 }

// digestSkip lists memory left out of digests: the range rewind mapped
// for a while, and the syscall buffer's, whose contents differ between
// recording and replay.
func (s *Session) digestSkip() [][2]uint64 {
	return [][2]uint64{s.ownMapping, {preload.Region, preload.RegionEnd}}
}

// liveStacks lists the lowest live stack address of each thread of the
// replayed process (tracee.DigestOptions.Stacks), as the recorder does.
func (s *Session) liveStacks() []uint64 {
	var live []uint64
	for _, tk := range s.tasks {
		if tk.tgid != s.tgidOf[s.cur] || tk.gone {
			continue
		}
		var sp uint64
		switch {
		case tk.atEntry || tk.inKernel:
			sp = tk.entryRegs.Rsp
		case tk.suspended != nil:
			sp = tk.saved.Rsp
		default:
			if regs, err := tk.t.Regs(); err == nil {
				sp = regs.Rsp
			}
		}
		if sp > trace.RedZone {
			live = append(live, sp-trace.RedZone)
		}
	}
	return live
}

func (s *Session) fingerprint() (fingerprint, error) {
	regs, err := s.t.Regs()
	if err != nil {
		return fingerprint{}, err
	}
	mem, maps, err := s.memHash()
	return fingerprint{regs, mem, maps}, err
}

// matches reports whether the current state is fp (registers first: cheap).
func (s *Session) matches(fp *fingerprint) (bool, error) {
	regs, err := s.t.Regs()
	if err != nil {
		return false, err
	}
	if _, _, same := diffRegs(&fp.regs, &regs); !same {
		if os.Getenv("REWIND_DEBUG_MARKS") != "" {
			e, a, _ := diffRegs(&fp.regs, &regs)
			fmt.Fprintf(os.Stderr, "rewind: mark: event %d: registers differ: want %s have %s\n", s.frame, e, a)
		}
		return false, nil
	}
	mem, maps, err := s.memHash()
	if os.Getenv("REWIND_DEBUG_MARKS") != "" && mem != fp.mem {
		fmt.Fprintf(os.Stderr, "rewind: mark: event %d: memory differs:\n  want %q\n  have %q\n", s.frame, fp.maps, maps)
	}
	return err == nil && mem == fp.mem, err
}

// ErrNoMark means a position could not be found again: the replay does
// not reproduce the recording's path.
var ErrNoMark = errors.New("position not found again in the replay")

// rewindTo replays from the start to the boundary before frame.
func (s *Session) rewindTo(frame int64) error {
	user := s.user
	s.user, s.watchOff = map[uint64]bool{}, true
	err := s.Restart(fmt.Sprint(frame))
	s.user = user
	if err != nil {
		return err
	}
	if s.frame != frame {
		return fmt.Errorf("%w: event %d", ErrNoMark, frame)
	}
	s.keepHere()
	return nil
}

// stepOff executes the instruction under a breakpoint at the pc, if any,
// reporting whether the frame changed meanwhile; a watchpoint that fires
// on that instruction is returned as errWatch.
func (s *Session) stepOff() (crossed bool, err error) {
	if s.t == nil { // the current thread just ended: the next frame's goes on
		return false, nil
	}
	regs, err := s.t.Regs()
	if err != nil {
		return false, err
	}
	if _, ok := s.bps[regs.Rip]; !ok {
		return false, nil
	}
	before := s.frame
	st, err := s.StepInsn()
	switch {
	case err != nil:
		return false, err
	case st.Reason == StoppedWatch:
		return s.frame != before, errWatch
	case st.Reason != StoppedStep && st.Reason != StoppedBreakpoint:
		return true, fmt.Errorf("%w: stopped by %v while stepping", ErrNoMark, st.Reason)
	}
	return s.frame != before, nil
}

// nextArrival runs from the current state to the next arrival at the one
// armed address, reporting false when the frame ends first.
func (s *Session) nextArrival() (bool, error) {
	frame := s.frame
	if _, err := s.stepOff(); err != nil || s.frame != frame {
		return false, err
	}
	err := s.Step()
	if errors.Is(err, errBreakpoint) {
		return true, nil
	}
	return false, err
}

// runToHit runs from the current state (in frame s.frame) until the hit-th
// arrival at addr counted from the frame's boundary (have arrivals already
// counted). Only addr may be armed.
func (s *Session) runToHit(addr uint64, have, hit int) error {
	frame := s.frame
	for ; have < hit; have++ {
		arrived, err := s.nextArrival()
		if err != nil {
			return err
		}
		if !arrived {
			return fmt.Errorf("%w: hit %d of %#x in event %d", ErrNoMark, hit, addr, frame)
		}
	}
	return nil
}

// GoTo moves the replay to m, with the client's breakpoints armed again.
func (s *Session) GoTo(m Mark) error {
	if err := s.rewindTo(m.Frame); err != nil {
		return err
	}
	if m.Hit > 0 {
		s.armOnly(map[uint64]bool{m.Addr: true})
		if err := s.runToHit(m.Addr, 0, m.Hit); err != nil {
			return err
		}
	}
	s.armOnly(nil)
	if m.Hit == 0 && m.Steps > 0 {
		if err := s.toFrameThread(); err != nil {
			return err
		}
	}
	for i := 0; i < m.Steps; i++ {
		if _, err := s.StepInsn(); err != nil {
			return err
		}
	}
	if m.End {
		f, err := s.peek()
		if err != nil {
			return err
		}
		if _, err := s.toEnd(f); err != nil {
			return err
		}
	}
	return s.rearm()
}

// toFrameThread makes the thread of the next frame the current one: the
// steps of a mark from a boundary run in its frame's thread, while the
// current thread at a boundary is the one of the frame before (or, at
// begin, the debugged process's), which may be another.
func (s *Session) toFrameThread() error {
	f, err := s.peek()
	if err != nil || f.Kind == trace.KindExit && f.Flags&trace.FlagThread == 0 {
		return err // a process's end: Step picks the thread
	}
	return s.switchTo(f.Tid)
}

// here describes the current position for a backwards search.
type here struct {
	frame int64
	tid   int32 // the current thread
	fp    fingerprint
	end   bool
}

func (s *Session) position() (here, error) {
	fp, err := s.fingerprint()
	return here{frame: s.frame, tid: s.cur, fp: fp, end: s.atEnd}, err
}

// ReverseContinue goes back to the last breakpoint hit or watchpoint
// trigger before the current point, or to the start of the debugged
// process's history (begin). It replays forward with them armed and takes
// the last one.
func (s *Session) ReverseContinue() (Stopped, error) {
	if s.done || s.ended {
		return Stopped{}, errors.New("the program has exited: restart the replay to go back")
	}
	p, err := s.position()
	if err != nil {
		return Stopped{}, err
	}
	last, err := s.lastHitBefore(p)
	if err != nil {
		return Stopped{}, err
	}
	switch {
	case last.watch != nil:
		// Going backwards, a watchpoint stops before the write that
		// triggered it, so the client sees the value it had then.
		m, err := s.markOf(*last.at)
		if err != nil {
			return Stopped{}, err
		}
		if err := s.GoTo(m); err != nil {
			return Stopped{}, err
		}
		if _, err := s.ReverseStep(); err != nil {
			return Stopped{}, err
		}
		return Stopped{Reason: StoppedWatch, Watch: last.watch}, nil
	case last.found:
		if err := s.GoTo(last.mark); err != nil {
			return Stopped{}, err
		}
		return Stopped{Reason: StoppedBreakpoint}, nil
	}
	if err := s.GoTo(Mark{Frame: s.begin}); err != nil {
		return Stopped{}, err
	}
	return Stopped{Reason: StoppedBegin}, nil
}

// hit is the last stop found by a backwards search.
type hit struct {
	found bool
	mark  Mark   // a breakpoint hit
	watch *watch // or a watchpoint trigger, at
	at    *here
}

// lastHitBefore returns the last client breakpoint hit or watchpoint
// trigger before p. It searches backwards a segment at a time: from the
// nearest snapshot before p to p, then from the snapshot before that to
// the first one, and so on down to begin, replaying each forward with
// everything armed.
func (s *Session) lastHitBefore(p here) (hit, error) {
	if len(s.user) == 0 && len(s.watches) == 0 {
		return hit{}, nil
	}
	end, final := p.frame, true
	for {
		start := s.begin
		for _, sn := range s.snaps {
			if sn.frame < end || final && sn.frame == end {
				start = max(start, sn.frame)
			}
		}
		last, err := s.searchSegment(start, end, final, p)
		if err != nil || last.found || start <= s.begin {
			return last, err
		}
		end, final = start, false
	}
}

// searchSegment replays from the boundary before frame start up to the
// boundary before frame end (final: up to p) and returns the last hit.
func (s *Session) searchSegment(start, end int64, final bool, p here) (hit, error) {
	var last hit
	if err := s.rewindTo(start); err != nil {
		return last, err
	}
	armed := map[uint64]bool{p.fp.regs.Rip: true}
	for a := range s.user {
		armed[a] = true
	}
	s.armOnly(armed)
	s.watchOff = false
	if err := s.armWatches(); err != nil {
		return last, err
	}
	defer func() { s.watchOff = true; s.armWatches() }()
	counts := map[uint64]int{}
	for {
		if !final && s.frame >= end {
			return last, nil
		}
		if s.frame == p.frame && !p.end {
			if ok, err := s.matches(&p.fp); err != nil || ok {
				return last, err
			}
		}
		if s.frame > p.frame {
			return last, fmt.Errorf("%w: went past event %d", ErrNoMark, p.frame)
		}
		frame := s.frame
		crossed, err := s.stepOff()
		if err != nil && !errors.Is(err, errWatch) {
			return last, err
		}
		if !crossed && err == nil {
			if s.frame == p.frame && p.end {
				f, perr := s.peek()
				if perr != nil {
					return last, perr
				}
				// Run the frame's code up to the final exit, not past it.
				st, terr := s.toEnd(f)
				switch {
				case terr != nil:
					return last, terr
				case st.Reason == StoppedEnd:
					return last, nil
				case st.Reason == StoppedWatch:
					err = errWatch
				default:
					err = errBreakpoint
				}
			} else {
				err = s.Step()
			}
		}
		if s.frame != frame {
			counts = map[uint64]int{}
		}
		switch {
		case errors.Is(err, errBreakpoint):
			regs, rerr := s.t.Regs()
			if rerr != nil {
				return last, rerr
			}
			counts[regs.Rip]++
			if s.frame == p.frame && regs.Rip == p.fp.regs.Rip {
				if ok, err := s.matches(&p.fp); err != nil || ok {
					return last, err
				}
			}
			if s.user[regs.Rip] {
				last = hit{found: true, mark: Mark{Frame: s.frame, Addr: regs.Rip, Hit: counts[regs.Rip]}}
			}
		case errors.Is(err, errWatch):
			// A trigger is reported after the write: one that leads to p
			// itself is the first thing undone going backwards.
			at, perr := s.position()
			if perr != nil {
				return last, perr
			}
			last = hit{found: true, watch: s.lastWatch, at: &at}
			if s.frame == p.frame {
				if ok, err := s.matches(&p.fp); err != nil || ok {
					return last, err
				}
			}
		case err != nil:
			return last, err
		}
	}
}

// markOf finds the mark of p: the arrival at its pc, counted within its
// frame, whose fingerprint is p's.
func (s *Session) markOf(p here) (Mark, error) {
	if p.end {
		return Mark{Frame: p.frame, End: true}, nil
	}
	// At a boundary the current thread is the one of the frame before:
	// when other processes' frames came after the thread's last one, it
	// is at the same point at the boundary after that one (or at the
	// history's start).
	b, err := s.ownBoundary(p.tid, p.frame)
	if err != nil {
		return Mark{}, err
	}
	if b < p.frame {
		if err := s.rewindTo(b); err != nil {
			return Mark{}, err
		}
		if ok, err := s.matches(&p.fp); err != nil || ok {
			return Mark{Frame: b}, err
		}
	}
	if err := s.rewindTo(p.frame); err != nil {
		return Mark{}, err
	}
	if ok, err := s.matches(&p.fp); err != nil || ok {
		return Mark{Frame: p.frame}, err
	}
	pc := p.fp.regs.Rip
	s.armOnly(map[uint64]bool{pc: true})
	for hit := 1; ; hit++ {
		if err := s.runToHit(pc, hit-1, hit); err != nil {
			return Mark{}, err
		}
		if ok, err := s.matches(&p.fp); err != nil || ok {
			return Mark{Frame: p.frame, Addr: pc, Hit: hit}, err
		}
	}
}

// ReverseStep goes back one instruction.
func (s *Session) ReverseStep() (Stopped, error) {
	if s.done || s.ended {
		return Stopped{}, errors.New("the program has exited: restart the replay to go back")
	}
	p, err := s.position()
	if err != nil {
		return Stopped{}, err
	}
	cursor := int64(-1) // inside the library, a call's record may be read before it leaves
	if !preload.InRegion(p.fp.regs.Rip) {
		cursor, _ = s.bufferCursor()
	}
	m, err := s.markOf(p)
	if err != nil {
		return Stopped{}, err
	}
	if !m.End && m.Hit == 0 {
		p.frame = m.Frame // the boundary after the thread's own last frame
	}
	// Start from the previous arrival at the same pc (one loop iteration
	// back) or from the frame's boundary, and step forward to p.
	start := m
	switch {
	case m.End, m.Hit == 1:
		if start, err = s.lastReturnBefore(Mark{Frame: m.Frame}, cursor); err != nil {
			return Stopped{}, err
		}
	case m.Hit > 1:
		start.Hit--
	default: // at a boundary: the instruction before it is in the previous frame
		// A buffered frame only loads the syscall buffer (StepInsn loads
		// it before it steps): no instruction runs across it.
		// Frames of other processes come in between (they ran side by
		// side): the instruction is in the last frame of this process.
		frame, loads := m.Frame, true
		tgid := s.tgidOf[p.tid]
		ofProcess := func(tid int32) bool { t, ok := s.tgidOf[tid]; return ok && t == tgid }
		for loads {
			prev := int64(-1)
			if frame > s.begin {
				if prev, err = s.lastFrameBefore(frame, ofProcess); err != nil {
					return Stopped{}, err
				}
			}
			if frame = prev; frame < s.begin {
				if err := s.GoTo(Mark{Frame: s.begin}); err != nil {
					return Stopped{}, err
				}
				return Stopped{Reason: StoppedBegin}, nil
			}
			if start, loads, err = s.lastSyscallInsn(frame); err != nil {
				return Stopped{}, err
			}
		}
	}
	n, err := s.stepsTo(start, p)
	if err != nil {
		return Stopped{}, err
	}
	start.Steps += n - 1
	if start.Hit == 0 && start.Steps == 0 {
		// A boundary: the one where the thread is the current thread.
		if start.Frame, err = s.ownBoundary(p.tid, start.Frame); err != nil {
			return Stopped{}, err
		}
	}
	if err := s.GoTo(start); err != nil {
		return Stopped{}, err
	}
	return Stopped{Reason: StoppedStep}, nil
}

// ownBoundary returns the boundary where thread tid is as at boundary
// frame, and is the current thread: the one after its own last frame
// before frame (at least begin), or frame when it has none.
func (s *Session) ownBoundary(tid int32, frame int64) (int64, error) {
	own, err := s.lastFrameBefore(frame, func(t int32) bool { return t == tid })
	if err != nil || own < 0 {
		return frame, err
	}
	return max(own+1, s.begin), nil
}

// lastFrameBefore returns the last frame before frame made by a thread
// that mine accepts, or -1. The threads of the frames are read from the
// trace once (frameTids).
func (s *Session) lastFrameBefore(frame int64, mine func(tid int32) bool) (int64, error) {
	if s.frameTids == nil {
		r, err := trace.Open(s.r.Dir)
		if err != nil {
			return 0, err
		}
		defer r.Close()
		var tids []int32
		for {
			f, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, err
			}
			tids = append(tids, f.Tid)
		}
		s.frameTids = tids
	}
	for n := min(frame, int64(len(s.frameTids))) - 1; n >= 0; n-- {
		if mine(s.frameTids[n]) {
			return n, nil
		}
	}
	return -1, nil
}

// lastSyscallInsn returns the mark of the syscall instruction that made
// frame (a syscall), or its boundary when it is another kind of frame;
// loads tells that frame is a buffered one.
func (s *Session) lastSyscallInsn(frame int64) (Mark, bool, error) {
	if err := s.rewindTo(frame); err != nil {
		return Mark{}, false, err
	}
	f, err := s.peek()
	if err != nil || f.Kind != trace.KindSyscall {
		return Mark{Frame: frame}, err == nil && f.Kind == trace.KindBuffered, err
	}
	addr := f.Regs.Rip - 2
	s.armOnly(map[uint64]bool{addr: true})
	hits := 0
	for {
		arrived, err := s.nextArrival()
		if err != nil {
			return Mark{}, false, err
		}
		if !arrived {
			break
		}
		hits++
	}
	if hits == 0 {
		return Mark{Frame: frame}, false, nil
	}
	return Mark{Frame: frame, Addr: addr, Hit: hits}, false, nil
}

// lastReturnBefore returns where, after boundary, the current thread
// last left the syscall buffer's library (preload.ReturnAddr) before a
// point where its buffer's cursor is cursor: the first arrival there
// with that cursor. Stepping to the point from there, not from the
// boundary, runs only the instructions since its last buffered call (the
// dynamic linker runs a million between the mapping of libc and main,
// with a dozen buffered calls and rdtsc). It returns boundary when there
// is no such arrival.
func (s *Session) lastReturnBefore(boundary Mark, cursor int64) (Mark, error) {
	ret := preload.ReturnAddr()
	if ret == 0 || cursor <= 0 || s.olderLibrary() {
		return boundary, nil
	}
	if err := s.GoTo(boundary); err != nil {
		return boundary, err
	}
	s.armOnly(map[uint64]bool{ret: true})
	defer s.armOnly(nil)
	for hit := 1; ; hit++ {
		arrived, err := s.nextArrival()
		if err != nil || !arrived {
			return boundary, err
		}
		switch c, _ := s.bufferCursor(); {
		case c == cursor:
			return Mark{Frame: boundary.Frame, Addr: ret, Hit: hit}, nil
		case c > cursor || c < 0:
			return boundary, nil
		}
	}
}

// bufferCursor returns how far the current thread has read its syscall
// buffer's records since they were loaded, or -1 when it has no buffer.
func (s *Session) bufferCursor() (int64, error) {
	regs, err := s.t.Regs()
	if err != nil || !preload.InRegion(regs.Gs_base) {
		return -1, err
	}
	h, err := s.slotHeader(regs.Gs_base)
	if err != nil || h.Mode != preload.ModeReplay {
		return -1, nil
	}
	return int64(h.Cursor), nil
}

// stepsTo counts the instructions from mark start to p.
func (s *Session) stepsTo(start Mark, p here) (int, error) {
	if err := s.GoTo(start); err != nil {
		return 0, err
	}
	s.armOnly(nil)
	if start.Hit == 0 {
		if err := s.toFrameThread(); err != nil {
			return 0, err
		}
	}
	for n := 1; ; n++ {
		st, err := s.StepInsn()
		if err != nil {
			return 0, err
		}
		if st.Reason == StoppedEnd {
			if p.end {
				return n, nil
			}
			break
		}
		if s.frame > p.frame {
			break
		}
		if s.frame == p.frame {
			if ok, err := s.matches(&p.fp); err != nil || ok {
				return n, err
			}
		}
	}
	return 0, fmt.Errorf("%w: stepping from event %d", ErrNoMark, start.Frame)
}
