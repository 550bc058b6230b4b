package gdbserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"rewind/arch"
)

// fakeTarget is a tiny replay: a memory image, one register set per
// thread, a breakpoint list and a scripted timeline of program counters
// that Resume walks forwards and backwards.
type fakeTarget struct {
	mu sync.Mutex

	pid     int
	threads []int
	exe     string
	avx     bool
	reverse bool
	noLibs  bool

	base uint64
	mem  []byte // memory image at base, with 0xcc under software breakpoints
	orig map[uint64]byte

	bps map[BreakKind]map[uint64]int

	timeline []uint64 // pc at each step
	pos      int
	exited   bool

	// hang makes the next Resume block until its context is cancelled.
	hang    bool
	resumes []Action

	// signalAt delivers a signal stop when the timeline reaches that index.
	signalAt map[int]int

	restarts []string
	monitor  []string
	files    map[string][]byte
}

const fakeBase = 0x400000

func newFake() *fakeTarget {
	f := &fakeTarget{
		pid:      0x1234,
		threads:  []int{0x1234, 0x1235},
		exe:      "/usr/bin/prog",
		avx:      true,
		reverse:  true,
		base:     fakeBase,
		mem:      make([]byte, 4096),
		orig:     map[uint64]byte{},
		bps:      map[BreakKind]map[uint64]int{},
		signalAt: map[int]int{},
		files:    map[string][]byte{},
	}
	for i := range f.mem {
		f.mem[i] = byte(i)
	}
	// Bytes that need escaping in binary replies.
	copy(f.mem[0x100:], []byte{'$', '#', '}', '*', 0x03, 'x'})
	// 20 instructions, 4 bytes apart.
	for i := 0; i < 20; i++ {
		f.timeline = append(f.timeline, fakeBase+uint64(4*i))
	}
	f.files["/usr/bin/prog"] = []byte("\x7fELF fake program contents")
	return f
}

func (f *fakeTarget) Pid() int { return f.pid }

func (f *fakeTarget) Threads() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.exited {
		return nil
	}
	return append([]int(nil), f.threads...)
}

func (f *fakeTarget) ExecFile() string { return f.exe }

func (f *fakeTarget) Registers(tid int) (*arch.RegisterSet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.exited {
		return nil, ErrExited
	}
	rs := &arch.RegisterSet{XSave: make([]byte, 832)}
	rs.Regs.Rip = f.timeline[f.pos]
	rs.Regs.Rax = uint64(tid)
	rs.Regs.Rsp = 0x7ffc0000
	rs.Regs.Eflags = 0x246
	rs.Regs.Cs = 0x33
	rs.XSave[arch.XSaveXMM0] = 0xaa
	return rs, nil
}

func (f *fakeTarget) ReadMemory(addr uint64, buf []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if addr < f.base || addr >= f.base+uint64(len(f.mem)) {
		return 0, fmt.Errorf("address %#x not mapped", addr)
	}
	n := copy(buf, f.mem[addr-f.base:])
	for i := 0; i < n; i++ {
		if b, ok := f.orig[addr+uint64(i)]; ok {
			buf[i] = b
		}
	}
	return n, nil
}

func (f *fakeTarget) Auxv() ([]byte, error) {
	auxv := make([]byte, 32)
	auxv[0] = 9                           // AT_ENTRY
	copy(auxv[8:], []byte{0, 0x01, 0x40}) // AT_ENTRY 0x400100
	return auxv, nil
}

func (f *fakeTarget) SetBreakpoint(k BreakKind, addr uint64, size int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k == BreakHardware {
		return ErrUnsupported
	}
	if f.bps[k] == nil {
		f.bps[k] = map[uint64]int{}
	}
	f.bps[k][addr] = size
	if k == BreakSoftware && addr >= f.base && addr < f.base+uint64(len(f.mem)) {
		if _, ok := f.orig[addr]; !ok {
			f.orig[addr] = f.mem[addr-f.base]
			f.mem[addr-f.base] = 0xcc
		}
	}
	return nil
}

func (f *fakeTarget) ClearBreakpoint(k BreakKind, addr uint64, size int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k == BreakHardware {
		return ErrUnsupported
	}
	delete(f.bps[k], addr)
	if b, ok := f.orig[addr]; ok && k == BreakSoftware {
		f.mem[addr-f.base] = b
		delete(f.orig, addr)
	}
	return nil
}

func (f *fakeTarget) Resume(ctx context.Context, a Action) (Stop, error) {
	f.mu.Lock()
	f.resumes = append(f.resumes, a)
	hang := f.hang
	f.hang = false
	tid := f.threads[0]
	if a.Tid > 0 {
		tid = a.Tid
	}
	f.mu.Unlock()
	if hang {
		select {
		case <-ctx.Done():
			return Stop{Kind: StopSignal, Tid: tid, Signal: sigINT}, nil
		case <-time.After(10 * time.Second):
			return Stop{}, errors.New("fake: hang was never interrupted")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.Dir == Reverse && !f.reverse {
		return Stop{}, ErrReverseUnsupported
	}
	d := 1
	if a.Dir == Reverse {
		d = -1
	}
	for {
		if ctx.Err() != nil {
			return Stop{}, ctx.Err()
		}
		next := f.pos + d
		if next < 0 {
			return Stop{Kind: StopReplayBegin, Tid: tid}, nil
		}
		if next >= len(f.timeline) {
			return Stop{Kind: StopReplayEnd, Tid: tid}, nil
		}
		f.pos = next
		if sig, ok := f.signalAt[f.pos]; ok && a.Dir == Forward {
			return Stop{Kind: StopSignal, Tid: tid, Signal: sig}, nil
		}
		if _, ok := f.bps[BreakSoftware][f.timeline[f.pos]]; ok {
			return Stop{Kind: StopSWBreak, Tid: tid}, nil
		}
		if a.Step {
			return Stop{Kind: StopSignal, Tid: tid, Signal: sigTRAP}, nil
		}
	}
}

func (f *fakeTarget) Restart(arg string) (Stop, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restarts = append(f.restarts, arg)
	switch {
	case arg == "":
		f.pos = 0
	case strings.HasPrefix(arg, "c"):
		n, err := strconv.Atoi(arg[1:])
		if err != nil || n >= len(f.timeline) {
			return Stop{}, fmt.Errorf("no checkpoint %q", arg)
		}
		f.pos = n
	default:
		n, err := strconv.Atoi(arg)
		if err != nil || n >= len(f.timeline) {
			return Stop{}, fmt.Errorf("no event %q", arg)
		}
		f.pos = n
	}
	f.exited = false
	return Stop{Kind: StopSignal, Tid: f.threads[0], Signal: sigTRAP}, nil
}

func (f *fakeTarget) Monitor(cmd string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.monitor = append(f.monitor, cmd)
	switch {
	case cmd == "when":
		return fmt.Sprintf("Completed event: %d\n", f.pos), nil
	case strings.HasPrefix(cmd, "checkpoint"):
		return fmt.Sprintf("Checkpoint 1 at event %d (%s)\n", f.pos, strings.TrimSpace(strings.TrimPrefix(cmd, "checkpoint"))), nil
	case cmd == "long":
		return strings.Repeat("0123456789", 10000), nil
	}
	return "", fmt.Errorf("unknown command %q", cmd)
}

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (m memFile) Close() error               { return nil }
func (m memFile) Stat() (fs.FileInfo, error) { return m, nil }
func (m memFile) Name() string               { return m.name }
func (m memFile) Size() int64                { return m.size }
func (m memFile) Mode() fs.FileMode          { return 0o755 }
func (m memFile) ModTime() time.Time         { return time.Unix(1700000000, 0) }
func (m memFile) IsDir() bool                { return false }
func (m memFile) Sys() any                   { return nil }

func (f *fakeTarget) OpenFile(path string) (File, error) {
	b, ok := f.files[path]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
	return memFile{bytes.NewReader(b), path, int64(len(b))}, nil
}

func (f *fakeTarget) MemoryRegion(addr uint64) (Region, error) {
	end := f.base + uint64(len(f.mem))
	switch {
	case addr < f.base:
		return Region{Start: 0, Size: f.base}, nil
	case addr < end:
		return Region{Start: f.base, Size: uint64(len(f.mem)), Mapped: true, Read: true, Exec: true, Name: f.exe}, nil
	}
	return Region{Start: end, Size: -end}, nil
}

func (f *fakeTarget) Libraries() ([]Library, error) {
	if f.noLibs {
		return nil, ErrUnsupported
	}
	return []Library{{LM: 0x7f0000003000}, {Name: "/lib/x86_64-linux-gnu/libc.so.6", LM: 0x7f0000001000, Addr: 0x7f0000000000, LD: 0x7f0000200000}}, nil
}

func (f *fakeTarget) Reverse() bool { return f.reverse }
func (f *fakeTarget) HasAVX() bool  { return f.avx }

func (f *fakeTarget) position() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pos
}

var _ Target = (*fakeTarget)(nil)
