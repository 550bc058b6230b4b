package test

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"rewind/trace"
)

// TestDivergenceReported tampers with one recorded syscall result and
// checks that replay stops there with exit status 124 and a message that
// names the event, instead of replaying something else silently: a
// syscall frame's result, and a result in the syscall buffer.
func TestDivergenceReported(t *testing.T) {
	Require(t, "ptrace")
	for _, m := range bufferModes {
		t.Run(m.name, func(t *testing.T) { divergenceReported(t, m.flags) })
	}
}

func divergenceReported(t *testing.T, flags []string) {
	rewind := Rewind(t)
	prog := Build(t, "files")
	dir := filepath.Join(t.TempDir(), "trace")
	args := append(append([]string{"record", "-q", "-o", dir}, flags...), prog)
	if r := Run(t, t.TempDir(), nil, rewind, args...); r.Code != 0 {
		t.Fatalf("record: %s", r)
	}
	// Rewrite the trace with the result of the first mkdir changed: the
	// program then takes another path than the recorded one.
	header, frames := readTrace(t, dir)
	tampered := -1
	for i, f := range frames {
		if f.Kind == trace.KindSyscall && f.Nr == 83 /* mkdir */ && f.Result == 0 {
			f.Result = -13 // EACCES
			tampered = i
			break
		}
		if f.Kind == trace.KindBuffered && tamperBuffered(f, 83, -13) {
			tampered = i
			break
		}
	}
	if tampered < 0 {
		t.Fatal("no successful mkdir in the recording of files")
	}
	bad := writeTrace(t, dir, header, frames)
	res := Run(t, t.TempDir(), nil, rewind, "replay", "-a", bad)
	if res.Code != 124 {
		t.Fatalf("replay of a tampered trace exited %d, want 124 (divergence)\n%s", res.Code, res)
	}
	lines := strings.Split(strings.TrimSpace(string(res.Stderr)), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "rewind: replay diverged at event ") || !strings.Contains(last, "expected") {
		t.Errorf("divergence message %q should name the event and what was expected", last)
	}
	if strings.Contains(string(res.Stderr), "panic") {
		t.Errorf("replay panicked:\n%s", res.Stderr)
	}
}

// TestVforkOutOfOrder moves a vfork parent's return before its child's
// exec in a recording: replay cannot run it there (the parent waits in
// the kernel for the child), and must say so instead of waiting for ever.
func TestVforkOutOfOrder(t *testing.T) {
	Require(t, "ptrace")
	dir := filepath.Join(t.TempDir(), "trace")
	if r := Run(t, t.TempDir(), nil, Rewind(t), "record", "-q", "-o", dir, Build(t, "vfork_exec")); r.Code != 0 || !strings.Contains(string(r.Stdout), "child exited 0") {
		t.Fatalf("record: %s", r)
	}
	header, frames := readTrace(t, dir)
	ret, exec := -1, -1
	for i, f := range frames {
		switch {
		case f.Kind == trace.KindSyscall && f.Nr == unix.SYS_VFORK:
			ret = i
		case f.Kind == trace.KindSyscall && f.Nr == unix.SYS_EXECVE && f.Result == 0 && exec < 0:
			exec = i
		}
	}
	if ret < 0 || exec < 0 || ret < exec {
		t.Fatalf("the recording has the vfork's return at frame %d and the child's exec at %d", ret, exec)
	}
	moved := append(append(append([]*trace.Frame{}, frames[:exec]...), frames[ret]), frames[exec:ret]...)
	bad := writeTrace(t, dir, header, append(moved, frames[ret+1:]...))
	res := Run(t, t.TempDir(), nil, Rewind(t), "replay", "-a", bad)
	if res.Code != 124 || !strings.Contains(string(res.Stderr), "vfork parent does not return") {
		t.Fatalf("replay of the reordered trace: exit %d, want 124 naming the vfork\n%s", res.Code, res)
	}
}

// readTrace returns the header and frames of the trace in dir.
func readTrace(t *testing.T, dir string) (*trace.Header, []*trace.Frame) {
	t.Helper()
	r, err := trace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	var frames []*trace.Frame
	eachFrame(t, dir, func(_ int, f *trace.Frame) { frames = append(frames, f) })
	return r.Header, frames
}

// writeTrace writes header and frames as a trace with the copies of the
// one in dir, and returns its directory.
func writeTrace(t *testing.T, dir string, header *trace.Header, frames []*trace.Frame) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rewritten")
	w, err := trace.Create(out, header)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(true); err != nil {
		t.Fatal(err)
	}
	copyDir(t, filepath.Join(dir, trace.FilesDir), filepath.Join(out, trace.FilesDir))
	return out
}

// tamperBuffered sets the result of the first successful call nr in a
// buffered frame's records (nr:u32 len:u32 ret:i64, data padded to 8).
func tamperBuffered(f *trace.Frame, nr uint32, result int64) bool {
	if len(f.Mem) != 2 {
		return false
	}
	b := f.Mem[1].Data
	le := binary.LittleEndian
	for off := 0; off+16 <= len(b); {
		n := int(le.Uint32(b[off+4:]))
		if le.Uint32(b[off:]) == nr && le.Uint64(b[off+8:]) == 0 {
			le.PutUint64(b[off+8:], uint64(result))
			return true
		}
		off += 16 + (n+7)&^7
	}
	return false
}
