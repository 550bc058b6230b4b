package recorder

import (
	"encoding/binary"
	"strings"
	"testing"
)

func bpf(code uint16, k uint32) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint16(b, code)
	binary.LittleEndian.PutUint32(b[4:], k)
	return b
}

func TestRewriteFilter(t *testing.T) {
	const ldAbs = 0x20 // BPF_LD|BPF_W|BPF_ABS
	prog := append(append(append(append(bpf(ldAbs, 0), bpf(bpfRetK, retErrno|13)...), bpf(bpfRetK, retAllow)...),
		bpf(bpfRetK, retKillProcess)...), bpf(bpfRetK, retLog)...)
	if err := rewriteFilter(prog); err != nil {
		t.Fatal(err)
	}
	want := []uint32{0, retTrace | deniedMark | 13, retAllow, retKillProcess, retLog}
	for i, w := range want {
		if k := binary.LittleEndian.Uint32(prog[8*i+4:]); k != w {
			t.Errorf("instruction %d: k %#x, want %#x", i, k, w)
		}
	}
	for _, tc := range []struct {
		insn []byte
		want string
	}{
		{bpf(bpfRetK, retTrap), "SECCOMP_RET_TRAP"},
		{bpf(bpfRetK, retTrace|5), "SECCOMP_RET_TRACE"},
		{bpf(bpfRetK, retUserNotif), "SECCOMP_RET_USER_NOTIF"},
		{bpf(bpfRetA, 0), "BPF_RET|BPF_A"},
	} {
		if err := rewriteFilter(tc.insn); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rewriting %x: %v, want an error naming %s", tc.insn, err, tc.want)
		}
	}
}
