package tracee

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCRCPair checks DigestOptions.CRC's hash against the CRC-32C and
// CRC-32 (IEEE) check values, fed in two writes.
func TestCRCPair(t *testing.T) {
	h := newHash(true)
	h.Write([]byte("1234"))
	h.Write([]byte("56789"))
	sum := h.Sum(nil)
	if len(sum) != 8 || binary.LittleEndian.Uint32(sum) != 0xe3069283 || binary.LittleEndian.Uint32(sum[4:]) != 0xcbf43926 {
		t.Fatalf("CRC pair of 123456789 = %x", sum)
	}
	h.Reset()
	if h.Write([]byte("123456789")); string(h.Sum(nil)) != string(sum) {
		t.Error("after Reset the pair differs")
	}
	if newHash(false).Size() != 32 {
		t.Error("without CRC the digest is not SHA-256")
	}
}

// TestCRCZeros checks the CRC pair's shortcut for runs of zeros against
// writing them, for lengths around powers of two and pages.
func TestCRCZeros(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 7, 8, 255, 4095, 4096, 4097, 65536 + 13, 3 << 20} {
		fast, slow := &crcPair{c: 0x12345678, i: 0x9abcdef0}, &crcPair{c: 0x12345678, i: 0x9abcdef0}
		fast.zeros(n)
		slow.Write(make([]byte, n))
		if *fast != *slow {
			t.Errorf("%d zeros: %x, written %x", n, fast.Sum(nil), slow.Sum(nil))
		}
	}
}

// TestDigestSkipsUnpopulated checks that the digest of a process with a
// large anonymous mapping, a few pages of it written, is the same when
// the pages never populated are taken as zeros (pagemap) as when read.
func TestDigestSkipsUnpopulated(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := spawnTraced(t, "/bin/true")
	defer p.Kill()
	const size = 16 << 20
	addr, err := p.Inject(unix.SYS_MMAP, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
	if err != nil || addr < 0 {
		t.Fatalf("mmap: %v %#x", err, addr)
	}
	for _, off := range []uint64{0, 4096*3 + 17, size / 2, size - 8} {
		if err := p.WriteMem(uint64(addr)+off, []byte("written!")); err != nil {
			t.Fatal(err)
		}
	}
	maps, err := ReadMaps(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	pagemap, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", p.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer pagemap.Close()
	found := false
	for _, m := range maps {
		if m.Start == uint64(addr) && m.End == uint64(addr)+size {
			found = true
			absent := 0
			for _, r := range populated(pagemap, m) {
				if !r.present {
					absent += int(r.end-r.start) / pageSize
				}
			}
			if absent != size/pageSize-4 {
				t.Errorf("%d pages taken as never populated, want all but the 4 written", absent)
			}
		}
	}
	if !found {
		t.Fatalf("the mapping at %#x is not in the process's maps", addr)
	}
	for _, crc := range []bool{true, false} {
		fast, _, err := p.MemDigest(DigestOptions{CRC: crc})
		if err != nil {
			t.Fatal(err)
		}
		slow, _, err := p.MemDigest(DigestOptions{CRC: crc, readAll: true})
		if err != nil {
			t.Fatal(err)
		}
		if fast != slow {
			t.Errorf("CRC %v: digest %x with pagemap, %x reading every page", crc, fast[:8], slow[:8])
		}
	}
}
