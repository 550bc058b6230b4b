package trace

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// checkFrames0 are sampleFrames with enough data between exec and exit
// to fill several chunks.
func checkFrames0() []*Frame {
	frames := sampleFrames()
	exit := frames[len(frames)-1]
	frames = frames[:len(frames)-1]
	for i := 0; i < 40; i++ {
		frames = append(frames, &Frame{Kind: KindSyscall, Tid: 7, Mem: []MemWrite{{Data: bytes.Repeat([]byte{byte(i), 1, 2}, 40<<10)}}})
	}
	return append(frames, exit)
}

// recordedTrace writes frames as the recorder does: a full header and
// the copies the frames refer to in files/.
func recordedTrace(t *testing.T, frames []*Frame, complete bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "trace")
	w, err := Create(dir, &Header{Mode: "soft", Exe: "/bin/x", Args: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
		for _, ref := range frameFiles(f) {
			if ref.name != filepath.Base(ref.name) {
				continue // a damaged name, for Check to refuse
			}
			size := max(ref.size, 100)
			if err := os.WriteFile(filepath.Join(dir, FilesDir, ref.name), make([]byte, size), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(complete); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckGood(t *testing.T) {
	frames := checkFrames0()
	rep, err := Check(recordedTrace(t, frames, true))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Frames != int64(len(frames)) || rep.Incomplete || rep.Torn != nil || rep.Exit == nil || rep.Files != 3 || rep.Chunks < 2 {
		t.Errorf("report %+v", rep)
	}
	if len(rep.Notes) != 0 {
		t.Errorf("notes on a good trace: %q", rep.Notes)
	}
}

// TestCheckDamage damages a good trace in the ways the issue lists: each
// must be an error naming the damaged file and an offset.
func TestCheckDamage(t *testing.T) {
	events := func(dir string) string { return filepath.Join(dir, EventsFile) }
	edit := func(t *testing.T, path string, fn func([]byte) []byte) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, fn(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		file   func(dir string) string // the file the error must name
		want   string                  // and this text
	}{
		{"truncated chunk", func(t *testing.T, dir string) {
			edit(t, events(dir), func(d []byte) []byte { return d[:len(d)-100] })
		}, events, "truncated chunk"},
		{"truncated chunk header", func(t *testing.T, dir string) {
			edit(t, events(dir), func(d []byte) []byte { return d[:len(streamMagic)+7] })
		}, events, "truncated chunk header"},
		{"flipped bit", func(t *testing.T, dir string) {
			edit(t, events(dir), func(d []byte) []byte { d[len(streamMagic)+chunkHdrSize+10] ^= 0x08; return d })
		}, events, "checksum mismatch"},
		{"bad stream magic", func(t *testing.T, dir string) {
			edit(t, events(dir), func(d []byte) []byte { d[0] = 'X'; return d })
		}, events, "bad magic"},
		{"deleted copy", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, FilesDir, "libc-3"))
		}, func(dir string) string { return filepath.Join(dir, FilesDir, "libc-3") }, "is missing"},
		{"copy of another size", func(t *testing.T, dir string) {
			os.Truncate(filepath.Join(dir, FilesDir, "libc-3"), 4096)
		}, func(dir string) string { return filepath.Join(dir, FilesDir, "libc-3") }, "has 4096 bytes, the recording says 1048576"},
		{"missing header", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, HeaderFile))
		}, func(dir string) string { return HeaderFile }, "not a rewind trace"},
		{"damaged header", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, HeaderFile), func(d []byte) []byte { return d[:len(d)/2] })
		}, func(dir string) string { return filepath.Join(dir, HeaderFile) }, "invalid header"},
		{"missing events", func(t *testing.T, dir string) {
			os.Remove(events(dir))
		}, events, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := recordedTrace(t, checkFrames0(), true)
			tc.damage(t, dir)
			_, err := Check(dir)
			if err == nil {
				t.Fatal("Check passed a damaged trace")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.file(dir)) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not name %s and say %q", msg, tc.file(dir), tc.want)
			}
			var fe *FormatError
			if errors.As(err, &fe) && !strings.Contains(msg, "offset ") {
				t.Errorf("error %q gives no offset", msg)
			}
		})
	}
}

// TestCheckOrder refuses frames that cannot come in that order.
func TestCheckOrder(t *testing.T) {
	s := sampleFrames()
	exec, read, sig, exit := s[0], s[1], s[3], s[len(s)-1]
	restart := &Frame{Kind: KindSyscall, Flags: FlagRestart, Tid: 7}
	threadExit := &Frame{Kind: KindExit, Flags: FlagThread, Tid: 8}
	tests := []struct {
		name   string
		frames []*Frame
		want   string
	}{
		{"no exec first", s[1:], "first frame must be the program's exec"},
		{"no exit last", s[:len(s)-1], "not the program's exit"},
		{"only a thread's exit last", []*Frame{exec, read, threadExit}, "not the program's exit"},
		{"restart without signal", []*Frame{exec, restart, read, exit}, "not followed by the signal"},
		{"flag on the wrong kind", []*Frame{exec, {Kind: KindInsn, Flags: FlagSyncSignal, Tid: 7}, exit}, "do not apply"},
		{"patched flag not on an mmap", []*Frame{exec, {Kind: KindSyscall, Flags: FlagPatched, Tid: 7}, exit}, "do not apply"},
		{"copy outside files/", []*Frame{exec, {Kind: KindSyscall, Tid: 7, Map: &Mapping{File: "../../etc/passwd", Path: "/etc/passwd"}}, exit},
			"not a file in files/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check(recordedTrace(t, tc.frames, true))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("have %v, want an error saying %q", err, tc.want)
			}
		})
	}
	// A restart followed by its signal is fine.
	ok := []*Frame{exec, restart, sig, read, exit}
	if _, err := Check(recordedTrace(t, ok, true)); err != nil {
		t.Errorf("restart then signal: %v", err)
	}
}

// TestCheckIncomplete: a recorder that died mid-chunk leaves a trace
// whose frames before that chunk read, and Check says what was lost.
func TestCheckIncomplete(t *testing.T) {
	frames := checkFrames0()
	dir := recordedTrace(t, frames, false)
	path := filepath.Join(dir, EventsFile)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)-100], 0o644)

	rep, err := Check(dir)
	if err != nil {
		t.Fatalf("Check of an incomplete trace: %v", err)
	}
	if !rep.Incomplete || rep.Torn == nil || rep.Exit != nil || rep.Frames == 0 || rep.Frames >= int64(len(frames)) {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(rep.Torn.Error(), path) {
		t.Errorf("torn end %q does not name %s", rep.Torn, path)
	}
	have, err := readAll(dir)
	if err != nil || int64(len(have)) != rep.Frames {
		t.Errorf("reader: %d frames, %v; Check counted %d", len(have), err, rep.Frames)
	}
	// The same bytes in a trace that claims to be complete are damage.
	os.Remove(filepath.Join(dir, IncompleteFile))
	if _, err := Check(dir); err == nil || !strings.Contains(err.Error(), "truncated chunk") {
		t.Errorf("complete trace cut short: %v", err)
	}
}

// TestCheckIncompleteMidFrame: the stream ends inside a frame (cut at
// a chunk boundary): the frames before it read.
func TestCheckIncompleteMidFrame(t *testing.T) {
	big := &Frame{Kind: KindSyscall, Tid: 7, Mem: []MemWrite{{Data: bytes.Repeat([]byte{9}, 3<<20)}}}
	s := sampleFrames()
	dir := recordedTrace(t, []*Frame{s[0], s[1], big}, false)
	// Keep the magic and the first chunk only: big spans three chunks.
	path := filepath.Join(dir, EventsFile)
	data, _ := os.ReadFile(path)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Read()
	first := r.s.off
	r.Close()
	os.WriteFile(path, data[:first], 0o644)
	rep, err := Check(dir)
	if err != nil || rep.Frames != 2 || rep.Torn == nil || !strings.Contains(rep.Torn.Error(), "frame 2 is truncated") {
		t.Fatalf("report %+v, %v", rep, err)
	}
}

func TestCheckNothingRecorded(t *testing.T) {
	dir := recordedTrace(t, nil, false)
	if rep, err := Check(dir); err != nil || !rep.Incomplete || rep.Frames != 0 {
		t.Fatalf("have %+v, %v", rep, err)
	}
	os.Remove(filepath.Join(dir, HeaderFile))
	if _, err := Check(dir); err == nil || !strings.Contains(err.Error(), "stopped before writing it") {
		t.Fatalf("no header: have %v", err)
	}
}

func TestCheckLeftovers(t *testing.T) {
	dir := recordedTrace(t, sampleFrames(), true)
	os.WriteFile(filepath.Join(dir, FilesDir, "libm-9.tmp"), []byte("x"), 0o644)
	rep, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "libm-9.tmp: a partial copy") {
		t.Errorf("notes %q", rep.Notes)
	}
}

func TestCheckVersion(t *testing.T) {
	dir := recordedTrace(t, sampleFrames(), true)
	h, _ := ReadHeader(dir)
	h.FormatVersion = FormatVersion + 1
	WriteHeader(dir, h)
	_, err := Check(dir)
	var ve *VersionError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), filepath.Join(dir, HeaderFile)) {
		t.Fatalf("have %v, want a VersionError naming the header", err)
	}
}

// TestWriterFlushesIdleFrames: frames written before a long quiet spell
// reach the file without Flush or Close, so a recorder killed then loses
// nothing.
func TestWriterFlushesIdleFrames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "trace")
	w, err := Create(dir, &Header{Mode: "soft", Exe: "/bin/x", Args: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(false)
	s := sampleFrames()
	for _, f := range s[:3] {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(FlushInterval * 5)
	for {
		// Read a copy, as a reader after the recorder's death would.
		have, err := readAll(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(have) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %d of 3 frames are in the file", FlushInterval*5, len(have))
		}
		time.Sleep(FlushInterval / 4)
	}
}

// TestWriteErrorNamesFile: a full disk is reported with the file's name.
func TestWriteErrorNamesFile(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer f.Close()
	_, err = NewStreamWriter(f)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "/dev/full") {
		t.Errorf("have %v, want ENOSPC naming /dev/full", err)
	}
}

// sampleStream is the events stream of sampleFrames.
func sampleStream() []byte {
	var buf bytes.Buffer
	sw, _ := NewStreamWriter(&buf)
	for _, fr := range sampleFrames() {
		b := AppendFrame(nil, fr)
		var n [10]byte
		sw.Write(n[:putUvarint(n[:], uint64(len(b)))])
		sw.Write(b)
	}
	sw.Close()
	return buf.Bytes()
}

// FuzzCheck runs Check on arbitrary events files, complete or marked
// incomplete: it must report or refuse them, never panic, and agree with
// the reader.
func FuzzCheck(f *testing.F) {
	seed := sampleStream()
	f.Add(seed, false)
	f.Add(seed, true)
	f.Add(seed[:len(seed)-7], true)
	f.Add(seed[:len(streamMagic)+chunkHdrSize+3], true)
	f.Fuzz(func(t *testing.T, data []byte, incomplete bool) {
		dir := t.TempDir()
		if err := WriteHeader(dir, &Header{FormatVersion: FormatVersion, Mode: "soft", Exe: "/bin/x", Args: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		os.Mkdir(filepath.Join(dir, FilesDir), 0o755)
		for name, size := range map[string]int64{"x-1": 100, "ld-2": 100, "libc-3": 1 << 20} {
			fh, _ := os.Create(filepath.Join(dir, FilesDir, name))
			fh.Truncate(size)
			fh.Close()
		}
		if incomplete {
			os.WriteFile(filepath.Join(dir, IncompleteFile), nil, 0o644)
		}
		os.WriteFile(filepath.Join(dir, EventsFile), data, 0o644)
		rep, err := Check(dir)
		if rep == nil {
			t.Fatal("no report")
		}
		if rep.Torn != nil && !incomplete {
			t.Fatalf("a complete trace read as torn: %v", rep.Torn)
		}
		if err != nil {
			return
		}
		if !incomplete && (rep.Exit == nil || rep.Frames == 0) {
			t.Fatalf("Check passed %+v", rep)
		}
		frames, rerr := readAll(dir)
		if rerr != nil || int64(len(frames)) != rep.Frames {
			t.Fatalf("reader: %d frames, %v; Check: %d", len(frames), rerr, rep.Frames)
		}
	})
}
