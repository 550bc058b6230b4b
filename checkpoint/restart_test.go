package checkpoint

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestRestarting(t *testing.T) {
	neg := func(v int64) uint64 { return uint64(v) }
	for _, c := range []struct {
		orig, rax uint64
		want      bool
	}{
		{unix.SYS_FUTEX, neg(-512), true}, // ERESTARTSYS
		{unix.SYS_READ, neg(-513), true},  // ERESTARTNOINTR
		{unix.SYS_PPOLL, neg(-514), true}, // ERESTARTNOHAND
		{unix.SYS_NANOSLEEP, neg(-516), true},
		{unix.SYS_READ, neg(-4), false},   // EINTR: done
		{unix.SYS_READ, 0, false},         // returned
		{neg(-1), neg(-512), false},       // not after a syscall
		{unix.SYS_READ, neg(-515), false}, // not a restart code
	} {
		r := unix.PtraceRegs{Orig_rax: c.orig, Rax: c.rax}
		if got := restarting(&r); got != c.want {
			t.Errorf("orig_rax %d rax %d: restarting %v, want %v", int64(c.orig), int64(c.rax), got, c.want)
		}
	}
}
