package replayer

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// WatchKind is what a watchpoint catches.
type WatchKind int

const (
	WatchWrite  WatchKind = iota // Z2
	WatchRead                    // Z3 (x86 debug registers catch reads and writes)
	WatchAccess                  // Z4
)

var (
	errWatch = errors.New("watchpoint hit")
	// ErrNoHardwareWatchpoints: the host's debug registers do not work, so
	// the client should fall back to its own (single-stepping) watchpoints.
	ErrNoHardwareWatchpoints = errors.New("hardware watchpoints are not available on this host")
	// ErrTooManyWatchpoints: the four debug registers are in use.
	ErrTooManyWatchpoints = errors.New("all four hardware watchpoint slots are in use")
)

type watch struct {
	addr uint64
	size int
	kind WatchKind
}

// slot is one debug register's share of a watchpoint.
type slot struct {
	addr uint64
	len  int // 1, 2, 4 or 8, addr aligned to it
	w    int // index in Session.watches
}

// slotsFor splits [addr, addr+size) into aligned pieces the debug
// registers can watch.
func slotsFor(addr uint64, size int) []slot {
	var out []slot
	end := addr + uint64(size)
	for a := addr; a < end; {
		l := 8
		for l > 1 && (a%uint64(l) != 0 || a+uint64(l) > end) {
			l /= 2
		}
		out = append(out, slot{addr: a, len: l})
		a += uint64(l)
	}
	return out
}

func (s *Session) plan(ws []watch) ([]slot, error) {
	var slots []slot
	for i, w := range ws {
		for _, sl := range slotsFor(w.addr, w.size) {
			sl.w = i
			slots = append(slots, sl)
		}
	}
	if len(slots) > 4 {
		return nil, ErrTooManyWatchpoints
	}
	return slots, nil
}

// SetWatchpoint watches [addr, addr+size): with the debug registers
// while they suffice and work, else by page protection.
func (s *Session) SetWatchpoint(kind WatchKind, addr uint64, size int) error {
	if size <= 0 || size > 1<<20 {
		return fmt.Errorf("a watchpoint of %d bytes is not supported", size)
	}
	if _, err := s.ReadMemory(addr, make([]byte, 1)); err != nil {
		return fmt.Errorf("watchpoint at %#x: the address is not mapped", addr)
	}
	ws := append(append([]watch(nil), s.watches...), watch{addr, size, kind})
	if s.opts.Watchpoints == WatchHardware {
		if s.opts.NoHardwareWatchpoints {
			return ErrNoHardwareWatchpoints
		}
		if _, err := s.plan(ws); err != nil {
			return err
		}
	}
	old := s.watches
	s.watches = ws
	if err := s.armWatches(); err != nil {
		s.watches = old
		s.armWatches()
		return err
	}
	return nil
}

// WatchMode chooses how watchpoints are implemented.
type WatchMode string

const (
	WatchAuto     WatchMode = ""     // debug registers while they work and suffice, else pages
	WatchHardware WatchMode = "hw"   // debug registers only (at most 4 slots)
	WatchPages    WatchMode = "page" // page protection only
)

// usePages tells whether the watchpoints go to page protection.
func (s *Session) usePages() bool {
	switch s.opts.Watchpoints {
	case WatchPages:
		return true
	case WatchHardware:
		return false
	}
	if s.opts.NoHardwareWatchpoints {
		return true
	}
	_, err := s.plan(s.watches)
	return err != nil
}

// armWatches puts the watchpoints where they belong, or takes them all
// out while the replay navigates (s.watchOff).
func (s *Session) armWatches() error {
	if s.t == nil || s.done {
		return nil
	}
	pages := s.usePages()
	if err := s.programDRs(pages || s.watchOff || !s.inMain()); err != nil {
		return err
	}
	if s.atEnd {
		// Stopped inside the final exit, where no syscall can be
		// injected; nothing runs forward from here anyway, and going
		// back arms the pages again.
		return nil
	}
	return s.protectPages(!pages || s.watchOff)
}

// ClearWatchpoint removes a watchpoint.
func (s *Session) ClearWatchpoint(kind WatchKind, addr uint64, size int) error {
	for i, w := range s.watches {
		if w == (watch{addr, size, kind}) {
			s.watches = append(s.watches[:i], s.watches[i+1:]...)
			return s.armWatches()
		}
	}
	return nil
}

// programDRs loads the watchpoints into the debug registers, or clears
// them.
func (s *Session) programDRs(clear bool) error {
	var dr7 uint64
	var slots []slot
	if !clear {
		var err error
		if slots, err = s.plan(s.watches); err != nil {
			return err
		}
	}
	if len(slots) == 0 && len(s.slots) == 0 {
		return nil
	}
	for i, sl := range slots {
		rw := uint64(1) // break on writes
		if s.watches[sl.w].kind != WatchWrite {
			rw = 3 // reads or writes
		}
		lenBits := map[int]uint64{1: 0, 2: 1, 4: 3, 8: 2}[sl.len]
		if err := s.t.SetDebugReg(i, sl.addr); err != nil {
			return err
		}
		dr7 |= 1<<(2*i) | rw<<(16+4*i) | lenBits<<(18+4*i)
	}
	s.slots = slots
	return s.t.SetDebugReg(7, dr7)
}

// watchHit checks DR6 after a SIGTRAP: which watchpoint fired, if any.
func (s *Session) watchHit() (*watch, error) {
	if len(s.slots) == 0 {
		return nil, nil
	}
	dr6, err := s.t.DebugReg(6)
	if err != nil {
		return nil, err
	}
	if dr6&0xf == 0 {
		return nil, nil
	}
	s.t.SetDebugReg(6, 0)
	for i := 0; i < len(s.slots); i++ {
		if dr6&(1<<i) != 0 {
			w := s.watches[s.slots[i].w]
			return &w, nil
		}
	}
	return nil, nil
}

// trapCode is the si_code of the signal the tracee is stopped for.
func (s *Session) trapCode() (int32, error) {
	info, err := s.t.Siginfo()
	if err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(info[8:])), nil
}
