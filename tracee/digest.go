package tracee

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
)

const pageSize = 4096

// Digest is a hash of a process's writable memory: with the registers, it
// identifies a point of execution without a PMU (two states with equal
// registers and memory have the same future). SHA-256, or with
// DigestOptions.CRC two CRC-32s in its first 8 bytes.
type Digest [sha256.Size]byte

// DigestOptions adjust what MemDigest covers.
type DigestOptions struct {
	// Extra pages to include although not writable (pages a debugger made
	// read-only, so the digest does not depend on their protection).
	Extra func(page uint64) bool
	// Skip lists ranges left out: memory rewind mapped itself, which
	// differs between recording and replay.
	Skip [][2]uint64
	// PerMap: also return one short digest per mapping, for diagnostics.
	PerMap bool
	// Stacks are the lowest live stack addresses of the threads (stack
	// pointer less the red zone). Below them, to the start of the mapping,
	// is dead stack that is left out: it holds what earlier calls left
	// there, which the program never reads and which differs between
	// recording and replay (the dynamic loader's lazy binding, signal
	// frames, rewind's own stops).
	Stacks []uint64
	// CRC: hash with a pair of CRC-32s (Castagnoli and IEEE, both done in
	// hardware: 11.6 GB/s here, SHA-256 1.8 GB/s) instead of SHA-256. A
	// state found by its registers first, then its memory, is matched
	// against another of the same registers: a 64-bit check of what
	// differs between them is enough. Traces from format 6 on.
	CRC bool
	// readAll reads pages never populated too (tests compare).
	readAll bool
}

// MemDigest hashes the writable memory of t's process in address order.
// Mappings over 256 MiB (reservations) are left out.
func (t *Proc) MemDigest(o DigestOptions) (Digest, []string, error) {
	extra, perMap := o.Extra, o.PerMap
	maps, err := ReadMaps(t.Pid)
	if err != nil {
		return Digest{}, nil, err
	}
	var ranges []Mapping
	for _, m := range maps {
		switch {
		case len(m.Perms) < 2 || m.End-m.Start > 256<<20:
		case overlaps(m, o.Skip):
		case m.Perms[1] == 'w':
			ranges = append(ranges, m)
		case extra != nil:
			for p := m.Start; p < m.End; p += pageSize {
				if extra(p) {
					ranges = append(ranges, Mapping{Start: p, End: p + pageSize, Path: m.Path})
				}
			}
		}
	}
	for _, live := range o.Stacks {
		for i := range ranges {
			if m := &ranges[i]; live > m.Start && live < m.End {
				m.Start = live
			}
		}
	}
	var digests []string
	h := newHash(o.CRC)
	buf := make([]byte, 1<<16)
	var pagemap *os.File
	if !o.readAll {
		pagemap, _ = os.Open(fmt.Sprintf("/proc/%d/pagemap", t.Pid))
		if pagemap != nil {
			defer pagemap.Close()
		}
	}
	for _, m := range ranges {
		mh := newHash(o.CRC)
		for _, r := range populated(pagemap, m) {
			if !r.present {
				zeros(h, r.end-r.start)
				if perMap {
					zeros(mh, r.end-r.start)
				}
				continue
			}
			for a := r.start; a < r.end; a += uint64(len(buf)) {
				n := min(uint64(len(buf)), r.end-a)
				if t.ReadMem(a, buf[:n]) == nil {
					h.Write(buf[:n])
					if perMap {
						mh.Write(buf[:n])
					}
				}
			}
		}
		if perMap {
			digests = append(digests, fmt.Sprintf("%x-%x %s %x", m.Start, m.End, m.Path, mh.Sum(nil)[:4]))
		}
	}
	var sum Digest
	h.Sum(sum[:0])
	return sum, digests, nil
}

// pageRun is a run of pages of a mapping, present (or swapped out) or
// never populated.
type pageRun struct {
	start, end uint64
	present    bool
}

// populated splits m into runs by /proc/PID/pagemap. Pages of a private
// anonymous mapping that are neither present nor swapped out read as
// zeros, and need not be read: the Go linker has 107 MB of writable
// mappings, of which 26 MB are populated. Any other mapping (files'
// pages read from the file), or without pagemap, is one present run.
func populated(pagemap *os.File, m Mapping) []pageRun {
	whole := []pageRun{{m.Start, m.End, true}}
	anon := m.Path == "" || m.Path == "[heap]" || m.Path == "[stack]"
	if pagemap == nil || !anon || len(m.Perms) < 4 || m.Perms[3] != 'p' {
		return whole
	}
	first := m.Start &^ (pageSize - 1)
	pages := (m.End - first + pageSize - 1) / pageSize
	entries := make([]byte, pages*8)
	if n, err := pagemap.ReadAt(entries, int64(first/pageSize*8)); err != nil || n != len(entries) {
		return whole
	}
	const present, swapped = 1 << 63, 1 << 62
	var runs []pageRun
	for i := uint64(0); i < pages; i++ {
		start, end := max(first+i*pageSize, m.Start), min(first+(i+1)*pageSize, m.End)
		in := binary.LittleEndian.Uint64(entries[i*8:])&(present|swapped) != 0
		if k := len(runs) - 1; k >= 0 && runs[k].present == in {
			runs[k].end = end
		} else {
			runs = append(runs, pageRun{start, end, in})
		}
	}
	return runs
}

var zeroPage [pageSize]byte

// zeros hashes n zero bytes into h: in a few operations for the CRC pair
// (crcPair.zeros), else written.
func zeros(h hash.Hash, n uint64) {
	if c, ok := h.(*crcPair); ok {
		c.zeros(n)
		return
	}
	for ; n > 0; n -= min(n, pageSize) {
		h.Write(zeroPage[:min(n, pageSize)])
	}
}

func newHash(crc bool) hash.Hash {
	if crc {
		return &crcPair{}
	}
	return sha256.New()
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcPair is DigestOptions.CRC's hash.
type crcPair struct{ c, i uint32 }

func (p *crcPair) Write(b []byte) (int, error) {
	p.c = crc32.Update(p.c, castagnoli, b)
	p.i = crc32.Update(p.i, crc32.IEEETable, b)
	return len(b), nil
}

// zeros updates the pair as Write of n zero bytes would.
func (p *crcPair) zeros(n uint64) {
	p.c = castagnoliZeros.apply(p.c, n)
	p.i = ieeeZeros.apply(p.i, n)
}

func (p *crcPair) Sum(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(b, p.c), p.i)
}

func (p *crcPair) Reset()         { *p = crcPair{} }
func (p *crcPair) Size() int      { return 8 }
func (p *crcPair) BlockSize() int { return 64 }

func overlaps(m Mapping, ranges [][2]uint64) bool {
	for _, r := range ranges {
		if m.Start < r[1] && m.End > r[0] {
			return true
		}
	}
	return false
}

// crcZeros is what crc32.Update with zero bytes does to a CRC, for runs
// of 2^j bytes: an affine map over GF(2) (the CRC register is shifted
// through the polynomial, and Update inverts it before and after), so a
// run of any length is at most 64 of them.
type crcZeros [64]affine

// affine maps c to A·c ⊕ b: cols are A's columns.
type affine struct {
	cols [32]uint32
	b    uint32
}

func (a *affine) of(c uint32) uint32 {
	r := a.b
	for i := 0; c != 0; i, c = i+1, c>>1 {
		if c&1 != 0 {
			r ^= a.cols[i]
		}
	}
	return r
}

// then returns a followed by g.
func (a *affine) then(g *affine) affine {
	var r affine
	r.b = g.of(a.b)
	for i, col := range a.cols {
		r.cols[i] = g.of(col) ^ g.b
	}
	return r
}

func newCRCZeros(tab *crc32.Table) *crcZeros {
	var z crcZeros
	one := []byte{0}
	z[0].b = crc32.Update(0, tab, one)
	for i := range z[0].cols {
		z[0].cols[i] = crc32.Update(1<<i, tab, one) ^ z[0].b
	}
	for j := 1; j < len(z); j++ {
		z[j] = z[j-1].then(&z[j-1])
	}
	return &z
}

func (z *crcZeros) apply(c uint32, n uint64) uint32 {
	for j := 0; n != 0; j, n = j+1, n>>1 {
		if n&1 != 0 {
			c = z[j].of(c)
		}
	}
	return c
}

var castagnoliZeros, ieeeZeros = newCRCZeros(castagnoli), newCRCZeros(crc32.IEEETable)
