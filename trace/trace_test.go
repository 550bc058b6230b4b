package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func sampleFrames() []*Frame {
	regs := unix.PtraceRegs{Rip: 0x401000, Rsp: 0x7ffffffde000, Orig_rax: 0}
	return []*Frame{
		{Kind: KindExec, Tid: 7, Regs: regs, Exe: "/bin/x", ExeFile: "x-1", Files: []Mapping{{File: "ld-2", Path: "/lib/ld"}},
			Mem: []MemWrite{{Addr: 0x7ffffffde000, Data: []byte("stack")}}},
		{Kind: KindSyscall, Tid: 7, Regs: regs, Nr: 0, Result: 5, Mem: []MemWrite{{Addr: 0x1000, Data: []byte("hello")}}},
		{Kind: KindSyscall, Tid: 7, Regs: regs, Nr: 9, Result: 0x7ffff7000000, Map: &Mapping{File: "libc-3", Path: "/lib/libc.so.6", Offset: 4096, Size: 1 << 20}},
		{Kind: KindSignal, Flags: FlagSyncSignal, Tid: 7, Regs: regs, Signo: 11, Siginfo: make([]byte, 128)},
		{Kind: KindInsn, Tid: 7, Regs: regs, After: unix.PtraceRegs{Rax: 1, Rdx: 2}},
		{Kind: KindEnter, Tid: 8, Regs: regs, Nr: 58, Result: 9},
		{Kind: KindPreempt, Tid: 8, Regs: regs, Digest: bytes.Repeat([]byte{0xab}, 32), Stack: []byte("01234567")},
		{Kind: KindExit, Flags: FlagThread, Tid: 8},
		{Kind: KindExit, Tid: 7, Status: 3 << 8},
	}
}

func writeTrace(t *testing.T, frames []*Frame, complete bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "trace")
	w, err := Create(dir, &Header{Exe: "/bin/x", Args: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(complete); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readAll(dir string) ([]*Frame, error) {
	r, err := Open(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []*Frame
	for {
		f, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
}

func TestRoundTrip(t *testing.T) {
	want := sampleFrames()
	dir := writeTrace(t, want, true)
	if Incomplete(dir) {
		t.Error("a closed trace is marked incomplete")
	}
	have, err := readAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(have) != len(want) {
		t.Fatalf("have %d frames want %d", len(have), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(have[i], want[i]) {
			t.Errorf("frame %d: have %#v want %#v", i, have[i], want[i])
		}
	}
}

func TestLargeFrameSpansChunks(t *testing.T) {
	big := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 3<<20/7)
	want := []*Frame{{Kind: KindSyscall, Nr: 0, Result: int64(len(big)), Mem: []MemWrite{{Addr: 1, Data: big}}}}
	have, err := readAll(writeTrace(t, want, true))
	if err != nil {
		t.Fatal(err)
	}
	if len(have) != 1 || !bytes.Equal(have[0].Mem[0].Data, big) {
		t.Fatal("large frame did not survive")
	}
}

func TestDamage(t *testing.T) {
	frames := sampleFrames()
	for i := 0; i < 40; i++ { // several chunks
		frames = append(frames[:len(frames)-1], &Frame{Kind: KindSyscall, Mem: []MemWrite{{Data: bytes.Repeat([]byte{byte(i)}, 100<<10)}}}, frames[len(frames)-1])
	}
	tests := []struct {
		name   string
		damage func(path string, data []byte) []byte
	}{
		{"truncated", func(_ string, d []byte) []byte { return d[:len(d)/2] }},
		{"truncated header", func(_ string, d []byte) []byte { return d[:len(streamMagic)+5] }},
		{"bit flip", func(_ string, d []byte) []byte { d[len(d)/2] ^= 0x40; return d }},
		{"zeroed block", func(_ string, d []byte) []byte {
			copy(d[len(d)/3:], make([]byte, 64))
			return d
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTrace(t, frames, true)
			path := filepath.Join(dir, EventsFile)
			data, _ := os.ReadFile(path)
			os.WriteFile(path, tc.damage(path, data), 0o644)
			_, err := readAll(dir)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("have error %v, want a *FormatError", err)
			}
			if fe.File != path {
				t.Errorf("error names %q, want %q", fe.File, path)
			}
		})
	}
}

func TestNotATrace(t *testing.T) {
	_, err := Open(t.TempDir())
	if !errors.Is(err, ErrNotTrace) {
		t.Fatalf("have %v want ErrNotTrace", err)
	}
}

// traceOfVersion writes a trace whose header says format version v.
func traceOfVersion(t *testing.T, v int) string {
	t.Helper()
	dir := writeTrace(t, sampleFrames(), true)
	h, err := ReadHeader(dir)
	if err != nil {
		t.Fatal(err)
	}
	h.FormatVersion = v
	if err := WriteHeader(dir, h); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestUnknownVersion(t *testing.T) {
	_, err := Open(traceOfVersion(t, 999))
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Have != 999 {
		t.Fatalf("have %v want a VersionError for 999", err)
	}
}

// Traces of format 3, whose enter frames have no memory writes, are still
// read; a frame of one version does not decode as the other.
func TestReadsFormat3(t *testing.T) {
	enter := &Frame{Kind: KindEnter, Tid: 7, Nr: 202, Result: 0}
	v4 := AppendFrame(nil, enter)
	v3 := v4[:len(v4)-1] // without the empty list of writes
	f, err := decodeFrame(v3, 3)
	if err != nil || f.Kind != KindEnter || f.Nr != 202 || f.Tid != 7 {
		t.Fatalf("version 3 enter frame: %+v, %v", f, err)
	}
	if _, err := decodeFrame(v3, 4); err == nil {
		t.Error("a version 3 enter frame decoded as version 4")
	}
	if _, err := decodeFrame(v4, 3); err == nil {
		t.Error("a version 4 enter frame decoded as version 3")
	}
	r, err := Open(traceOfVersion(t, 3))
	if err != nil {
		t.Fatalf("a version 3 trace does not open: %v", err)
	}
	r.Close()
}

func TestIncompleteStaysReadable(t *testing.T) {
	frames := sampleFrames()[:3]
	dir := writeTrace(t, frames, false)
	if !Incomplete(dir) {
		t.Fatal("trace not marked incomplete")
	}
	have, err := readAll(dir)
	if err != nil || len(have) != 3 {
		t.Fatalf("have %d frames, %v", len(have), err)
	}
}

// FuzzReader feeds arbitrary events files to the reader: it must return
// frames or an error, never panic or allocate without bound.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	sw, _ := NewStreamWriter(&buf)
	for _, fr := range sampleFrames() {
		b := AppendFrame(nil, fr)
		var n [10]byte
		sw.Write(n[:putUvarint(n[:], uint64(len(b)))])
		sw.Write(b)
	}
	sw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte(streamMagic))
	f.Add(buf.Bytes()[:len(buf.Bytes())/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := WriteHeader(dir, &Header{FormatVersion: FormatVersion}); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, EventsFile), data, 0o644)
		readAll(dir)
	})
}

// FuzzDecodeFrame checks the frame decoder alone.
func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range sampleFrames() {
		f.Add(AppendFrame(nil, fr))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			return
		}
		// What decodes must survive encoding and decoding again.
		again, err := DecodeFrame(AppendFrame(nil, fr))
		if err != nil || !reflect.DeepEqual(again, fr) {
			t.Fatalf("round trip changed the frame: %v", err)
		}
	})
}

func TestTellSeek(t *testing.T) {
	frames := sampleFrames()
	for i := 0; i < 30; i++ { // several chunks
		frames = append(frames, &Frame{Kind: KindSyscall, Nr: uint64(i), Mem: []MemWrite{{Data: bytes.Repeat([]byte{byte(i)}, 90<<10)}}})
	}
	r, err := Open(writeTrace(t, frames, true))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var marks []Position
	var all []*Frame
	for {
		marks = append(marks, r.Tell())
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, f)
	}
	for _, i := range []int{0, 17, 3, len(all) - 1, 9} {
		if err := r.Seek(marks[i]); err != nil {
			t.Fatalf("seek to frame %d: %v", i, err)
		}
		f, err := r.Read()
		if err != nil || !reflect.DeepEqual(f, all[i]) || r.Next != int64(i+1) {
			t.Fatalf("after seeking to frame %d: have %v (%v), next %d", i, f, err, r.Next)
		}
	}
}

// TestStreamCodecs reads a stream whose chunks alternate between zstd
// and S2 (the writer's choice when it is behind), and finds an S2 chunk
// whose length is wrong.
func TestStreamCodecs(t *testing.T) {
	var buf bytes.Buffer
	sw, err := NewStreamWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := range 6 {
		b := bytes.Repeat([]byte(fmt.Sprintf("chunk %d ", i)), 5000+i)
		want = append(want, b...)
		sw.writeChunk(b, i%2 == 1)
	}
	sw.Close()
	data := buf.Bytes()
	s2Chunks := bytes.Count(data, binary.LittleEndian.AppendUint32(nil, chunkMagicS2))
	if s2Chunks != 3 {
		t.Fatalf("%d S2 chunks, want 3", s2Chunks)
	}
	sr, err := NewStreamReader(bytes.NewReader(data), "events")
	if err != nil {
		t.Fatal(err)
	}
	have, err := io.ReadAll(sr)
	if err != nil || !bytes.Equal(have, want) {
		t.Fatalf("read %d bytes (want %d): %v", len(have), len(want), err)
	}

	// An S2 chunk that claims one byte more than it holds.
	at := bytes.Index(data, binary.LittleEndian.AppendUint32(nil, chunkMagicS2))
	bad := bytes.Clone(data)
	binary.LittleEndian.PutUint32(bad[at+4:], binary.LittleEndian.Uint32(bad[at+4:])+1)
	sr, _ = NewStreamReader(bytes.NewReader(bad), "events")
	_, err = io.ReadAll(sr)
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "does not decompress") {
		t.Fatalf("have %v, want a chunk that does not decompress", err)
	}
}
