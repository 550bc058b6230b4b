package tracee

import (
	"encoding/binary"
	"testing"
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
