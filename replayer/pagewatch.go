package replayer

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"rewind/tracee"
)

// Watchpoints by page protection: the pages holding watched bytes lose
// write access (write watchpoints) or all access (read and access ones);
// a fault on them is rewind's, not the program's: the page is opened, the
// instruction stepped, the page closed again, and a stop reported when
// the access touched watched bytes. Any number and size of watchpoints
// work, on hosts whose debug registers do not. The kernel's own writes
// in executed syscalls (signal frames, rt_sigaction's old action) into a
// protected page would fail: watching such memory needs the debug
// registers.

const pageSize = 4096

// protectPages sets the protections the watchpoints need, or with clear
// gives every page its own back.
func (s *Session) protectPages(clear bool) error {
	want := map[uint64]int{}
	if !clear {
		for _, w := range s.watches {
			for p := w.addr &^ (pageSize - 1); p < w.addr+uint64(w.size); p += pageSize {
				orig, err := s.origProt(p)
				if err != nil {
					return err
				}
				prot := orig &^ unix.PROT_WRITE
				if w.kind != WatchWrite {
					prot = unix.PROT_NONE
				}
				if cur, ok := want[p]; ok {
					prot &= cur
				}
				want[p] = prot
			}
		}
	}
	for p := range s.protectedNow {
		if _, ok := want[p]; !ok {
			if err := s.mprotect(p, s.pageOrig[p]); err != nil {
				return err
			}
			delete(s.protectedNow, p)
		}
	}
	for p, prot := range want {
		if cur, ok := s.protectedNow[p]; ok && cur == prot {
			continue
		}
		if err := s.mprotect(p, prot); err != nil {
			return err
		}
		s.protectedNow[p] = prot
	}
	return nil
}

// origProt returns the program's own protection of a page.
func (s *Session) origProt(page uint64) (int, error) {
	if p, ok := s.pageOrig[page]; ok {
		return p, nil
	}
	maps, err := tracee.ReadMaps(s.t.Pid)
	if err != nil {
		return 0, err
	}
	m := tracee.FindMapping(maps, page)
	if m == nil {
		return 0, fmt.Errorf("watchpoint: page %#x is not mapped", page)
	}
	prot := 0
	for i, bit := range []int{unix.PROT_READ, unix.PROT_WRITE, unix.PROT_EXEC} {
		if m.Perms[i] != '-' {
			prot |= bit
		}
	}
	s.pageOrig[page] = prot
	return prot, nil
}

func (s *Session) mprotect(page uint64, prot int) error {
	r, err := s.t.Inject(unix.SYS_MPROTECT, page, pageSize, uint64(prot))
	if err == nil && r < 0 {
		err = unix.Errno(-r)
	}
	if err != nil {
		return fmt.Errorf("watchpoint: mprotect(%#x): %w", page, err)
	}
	return nil
}

// pageFault handles a SIGSEGV stop: when it is an access to a page
// protected for a watchpoint, it lets the instruction complete and
// reports whether watched bytes were touched.
func (s *Session) pageFault() (hit, ours bool, err error) {
	info, err := s.t.Siginfo()
	if err != nil {
		return false, false, err
	}
	const segvAccErr = 2
	if int32(binary.LittleEndian.Uint32(info[8:])) != segvAccErr {
		return false, false, nil
	}
	addr := binary.LittleEndian.Uint64(info[16:])
	page := addr &^ (pageSize - 1)
	prot, ok := s.protectedNow[page]
	if !ok {
		return false, false, nil
	}
	if err := s.mprotect(page, s.pageOrig[page]); err != nil {
		return false, true, err
	}
	ws, err := s.stepOne(0)
	if err != nil {
		return false, true, err
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		return false, true, fmt.Errorf("watchpoint: stepping the access at %#x: %s", addr, tracee.Describe(ws))
	}
	if err := s.mprotect(page, prot); err != nil {
		return false, true, err
	}
	for i, w := range s.watches {
		// The access size is unknown: up to 8 bytes (a vector store: 32).
		if addr < w.addr+uint64(w.size) && addr+8 > w.addr {
			hit := s.watches[i]
			s.lastWatch = &hit
			return true, true, nil
		}
	}
	return false, true, nil
}
