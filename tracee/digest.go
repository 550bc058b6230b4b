package tracee

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
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
	for _, m := range ranges {
		mh := newHash(o.CRC)
		for a := m.Start; a < m.End; a += uint64(len(buf)) {
			n := min(uint64(len(buf)), m.End-a)
			if t.ReadMem(a, buf[:n]) == nil {
				h.Write(buf[:n])
				if perMap {
					mh.Write(buf[:n])
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
