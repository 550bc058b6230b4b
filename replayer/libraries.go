package replayer

import (
	"encoding/binary"
	"errors"
)

// Library is one entry of the dynamic linker's list of loaded objects.
type Library struct {
	Name         string // "" for the program itself
	LM, Addr, LD uint64 // the link_map, its load bias l_addr, its l_ld
}

// Libraries walks the dynamic linker's link map (r_debug.r_map, found
// through DT_DEBUG in the program's dynamic section) in the replay's memory.
func (s *Session) Libraries() ([]Library, error) {
	word := func(addr uint64) (uint64, error) {
		var b [8]byte
		if _, err := s.ReadMemory(addr, b[:]); err != nil {
			return 0, err
		}
		return binary.LittleEndian.Uint64(b[:]), nil
	}
	var phdr, phnum uint64
	for a := s.Auxv(); len(a) >= 16; a = a[16:] {
		switch binary.LittleEndian.Uint64(a) {
		case 3: // AT_PHDR
			phdr = binary.LittleEndian.Uint64(a[8:])
		case 5: // AT_PHNUM
			phnum = binary.LittleEndian.Uint64(a[8:])
		}
	}
	if phdr == 0 || phnum == 0 || phnum > 256 {
		return nil, errors.New("no program headers in the auxiliary vector")
	}
	var base, dynamic uint64
	var hasBase bool
	for i := uint64(0); i < phnum; i++ {
		var ph [56]byte
		if _, err := s.ReadMemory(phdr+56*i, ph[:]); err != nil {
			return nil, err
		}
		vaddr := binary.LittleEndian.Uint64(ph[16:])
		switch binary.LittleEndian.Uint32(ph[0:]) {
		case 6: // PT_PHDR
			base, hasBase = phdr-vaddr, true
		case 2: // PT_DYNAMIC
			dynamic = vaddr
		}
	}
	if dynamic == 0 || !hasBase {
		return nil, nil // statically linked: no link map
	}
	var rdebug uint64
	for d := base + dynamic; ; d += 16 {
		tag, err := word(d)
		if err != nil || tag == 0 {
			break
		}
		if tag == 21 { // DT_DEBUG
			rdebug, _ = word(d + 8)
		}
	}
	if rdebug == 0 {
		return nil, nil // the dynamic linker has not set it up yet
	}
	lm, err := word(rdebug + 8)
	if err != nil {
		return nil, err
	}
	var libs []Library
	for i := 0; lm != 0 && i < 4096; i++ {
		var e [40]byte
		if _, err := s.ReadMemory(lm, e[:]); err != nil {
			return libs, err
		}
		l := Library{LM: lm, Addr: binary.LittleEndian.Uint64(e[0:]), LD: binary.LittleEndian.Uint64(e[16:])}
		if name := binary.LittleEndian.Uint64(e[8:]); name != 0 && i > 0 {
			l.Name, _ = s.t.ReadString(name, 4096)
		}
		libs = append(libs, l)
		lm = binary.LittleEndian.Uint64(e[24:])
	}
	return libs, nil
}
