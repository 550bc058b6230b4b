package replayer

import (
	"fmt"
	"reflect"
	"strings"

	"golang.org/x/sys/unix"
)

// DivergenceError means the replay stopped matching the recording.
type DivergenceError struct {
	Frame    int64 // number of the frame being replayed
	Tid      int32
	What     string
	Expected string
	Actual   string
}

func (e *DivergenceError) Error() string {
	s := fmt.Sprintf("replay diverged at event %d (thread %d): %s", e.Frame, e.Tid, e.What)
	if e.Expected != "" || e.Actual != "" {
		s += fmt.Sprintf("; expected %s, got %s", e.Expected, e.Actual)
	}
	return s
}

// eflagsMask keeps the flags the program's computation decides (CF PF AF
// ZF SF DF OF), not those a debugger or the kernel toggle (TF, RF).
const eflagsMask = 0xcd5

// diffCallRegs is diffRegs for what a syscall reads: its number, its
// arguments and where it is made.
func diffCallRegs(want, have *unix.PtraceRegs) (exp, act string, same bool) {
	call := func(r *unix.PtraceRegs) unix.PtraceRegs {
		return unix.PtraceRegs{Orig_rax: r.Orig_rax, Rdi: r.Rdi, Rsi: r.Rsi, Rdx: r.Rdx, R10: r.R10, R8: r.R8, R9: r.R9, Rip: r.Rip}
	}
	w, h := call(want), call(have)
	return diffRegs(&w, &h)
}

// diffRegs lists registers that differ, as "name: want → have".
func diffRegs(want, have *unix.PtraceRegs) (exp, act string, same bool) {
	w, h := *want, *have
	w.Eflags &= eflagsMask
	h.Eflags &= eflagsMask
	if w == h {
		return "", "", true
	}
	var es, as []string
	wv, hv := reflect.ValueOf(w), reflect.ValueOf(h)
	for i := 0; i < wv.NumField(); i++ {
		if a, b := wv.Field(i).Uint(), hv.Field(i).Uint(); a != b {
			name := strings.ToLower(wv.Type().Field(i).Name)
			es = append(es, fmt.Sprintf("%s=%#x", name, a))
			as = append(as, fmt.Sprintf("%s=%#x", name, b))
		}
	}
	return strings.Join(es, " "), strings.Join(as, " "), false
}
