package test

import (
	"encoding/binary"
	"io"
	"path/filepath"
	"strings"
	"testing"

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
	r, err := trace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var frames []*trace.Frame
	for {
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	r.Close()
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
	bad := filepath.Join(t.TempDir(), "bad")
	w, err := trace.Create(bad, r.Header)
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
	copyDir(t, filepath.Join(dir, trace.FilesDir), filepath.Join(bad, trace.FilesDir))

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
