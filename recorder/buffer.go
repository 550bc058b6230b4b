package recorder

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
)

// The syscall buffer (package preload): the library runs common calls
// without ptrace stops and keeps their results in a per-thread slot; the
// recorder copies a thread's slot into a KindBuffered frame before the
// thread's next frame.

// bufferState is a thread's part of the syscall buffer.
type bufferState struct {
	slot     uint64    // its registered slot, 0 if none
	text     [2]uint64 // the library's code in its process
	filtered bool      // rewind's seccomp filter applies: resume with PTRACE_CONT
	// untraced: stopped at the entry of a call made at the untraced site
	// while no filter applies; it is the library's, not recorded here.
	untraced bool
	// resetGS: a new thread of a process running the library, whose %gs is set
	// before it first runs (preload.ResetThreadGS).
	resetGS bool
	// known: how many of the files the recording copied (fileStore.known)
	// the slot lists, for the library's mmaps of them.
	known int
	// pollWait: how long until the running thread is checked again for a
	// buffered call that blocked (1 ms, doubling to 10 ms).
	pollWait time.Duration
}

// inLibrary tells whether pc is in the library's code or its code page,
// where the registers differ between recording and replay: no point
// there can be named for replay.
func (t *task) inLibrary(pc uint64) bool {
	return preload.InRegion(pc) || pc >= t.buf.text[0] && pc < t.buf.text[1]
}

// register handles the library's registration of a thread's slot (a
// traced call): replay writes the slot's header for replay mode.
func (r *recording) register(t *task, f *trace.Frame) error {
	res, err := r.registerSlot(t, &t.entry)
	if err != nil {
		return err
	}
	hdr := preload.Header{Mode: preload.ModeReplay, Cap: preload.SlotSize - preload.RecordsOff}
	f.Result, f.Mem = res, []trace.MemWrite{{Addr: t.entry.Rdi, Data: hdr.Encode()}}
	return nil
}

// registerSlot registers the slot the library asks to register with
// registers e for thread t and writes its header for recording. The call
// returns 1 when rewind's filter already applies to the thread (the
// library then does not install it), else 0.
func (r *recording) registerSlot(t *task, e *unix.PtraceRegs) (int64, error) {
	slot := e.Rdi
	if e.Rsi != preload.SlotSize || !preload.InRegion(slot) {
		return 0, fmt.Errorf("the syscall buffer library registered a slot at %#x of %#x bytes", slot, e.Rsi)
	}
	t.buf.slot, t.buf.text = slot, [2]uint64{e.Rdx, e.R10}
	hdr := preload.Header{Mode: preload.ModeRecord, Cap: preload.SlotSize - preload.RecordsOff}
	if err := t.WriteMem(slot, emptied(hdr)); err != nil {
		return 0, fmt.Errorf("the syscall buffer: %w", err)
	}
	t.buf.known = 0
	if err := r.writeKnown(t); err != nil {
		return 0, err
	}
	if t.buf.filtered {
		return 1, nil
	}
	return 0, nil
}

// writeKnown lists in t's slot the files copied since it was last told:
// the library maps those without a stop. A slot's list only grows, in the
// order of fileStore.known, so threads sharing one write the same bytes.
func (r *recording) writeKnown(t *task) error {
	known := r.files.known[:min(len(r.files.known), preload.KnownMax)]
	if t.buf.slot == 0 || t.buf.known >= len(known) {
		return nil
	}
	at := t.buf.slot + preload.KnownOff
	if err := t.WriteMem(at+8+uint64(t.buf.known)*preload.KnownEntry, preload.EncodeKnown(known[t.buf.known:])); err != nil {
		return fmt.Errorf("the syscall buffer: %w", err)
	}
	if err := t.WriteMem(at, binary.LittleEndian.AppendUint64(nil, uint64(len(known)))); err != nil {
		return fmt.Errorf("the syscall buffer: %w", err)
	}
	t.buf.known = len(known)
	return nil
}

// nameFileMaps puts in each buffered file mmap of data (a slot's records)
// the name of its file's copy in place of the file's key.
func (r *recording) nameFileMaps(t *task, data []byte) error {
	var err error
	preload.EachRecord(data, func(rec preload.Record) {
		if !preload.IsFileMap(rec) || err != nil {
			return
		}
		name := ""
		if !arch.Failed(rec.Ret) {
			var ok bool
			if name, ok = r.files.name(preload.FileMapKey(rec)); !ok {
				err = fmt.Errorf("thread %d mapped a file through the syscall buffer that rewind has not copied (key %v)", t.Pid, preload.FileMapKey(rec))
				return
			}
		}
		if !preload.SetFileMapName(rec, name) {
			err = fmt.Errorf("the name of the trace's copy %s is too long", name)
		}
	})
	return err
}

// filtered notes that rewind's filter applies to every thread of process
// tgid (installed with TSYNC).
func (r *recording) filtered(tgid int) {
	for _, o := range r.tasks {
		if o.tgid == tgid {
			o.buf.filtered = true
		}
	}
}

// flush writes the calls t made through its buffer since its last frame,
// before that frame, and empties the buffer. Inside the library the
// buffer may be half-written: those stops are never frames.
func (r *recording) flush(t *task, pc uint64) error {
	slot := t.buf.slot
	if slot == 0 || t.inLibrary(pc) {
		return nil
	}
	raw := make([]byte, preload.FileMapsEnd)
	if err := t.ReadMem(slot, raw); err != nil {
		return fmt.Errorf("reading the syscall buffer: %w", err)
	}
	h := preload.DecodeHeader(raw)
	wantStop := uint32(0)
	if len(t.pending) > 0 || t.yieldSoon {
		wantStop = 1
	}
	if h.Used == 0 && h.WantStop == wantStop {
		return nil
	}
	if h.Used > h.Cap || h.Cap != preload.SlotSize-preload.RecordsOff {
		return fmt.Errorf("thread %d's syscall buffer is corrupt (%d of %d bytes used)", t.Pid, h.Used, h.Cap)
	}
	if h.Used > 0 {
		data := make([]byte, h.Used)
		if err := t.ReadMem(slot+preload.RecordsOff, data); err != nil {
			return fmt.Errorf("reading the syscall buffer: %w", err)
		}
		if preload.DecodeFileMaps(raw) > 0 {
			if err := r.nameFileMaps(t, data); err != nil {
				return err
			}
		}
		replay := preload.Header{Mode: preload.ModeReplay, Used: h.Used, Cap: h.Cap}
		if err := r.write(&trace.Frame{Kind: trace.KindBuffered, Tid: int32(t.Pid), Mem: []trace.MemWrite{
			{Addr: slot, Data: replay.Encode()}, {Addr: slot + preload.RecordsOff, Data: data}}}); err != nil {
			return err
		}
	}
	h.Used, h.WantStop = 0, wantStop
	return t.WriteMem(slot, emptied(h))
}

// emptied returns the bytes of a slot's header h and its count of file
// mmaps, zero.
func emptied(h preload.Header) []byte {
	return append(h.Encode(), make([]byte, preload.FileMapsEnd-preload.HeaderSize)...)
}

// freeSlot marks the slot of thread t, which ended, free for a later
// thread of its process (written through mem, a live thread of it), and
// returns the write for t's exit frame, so replay marks it at the same
// point. A slot t shared (a thread cloned without its own TLS) stays.
func (r *recording) freeSlot(t *task, mem *task) []trace.MemWrite {
	if t.buf.slot == 0 || mem == nil {
		return nil
	}
	for _, o := range r.tasks {
		if o != t && o.tgid == t.tgid && o.buf.slot == t.buf.slot && o.state != exiting {
			return nil
		}
	}
	mark := preload.Header{Mode: preload.ModeFree}.Encode()[:4]
	if mem.WriteMem(t.buf.slot, mark) != nil {
		return nil
	}
	return []trace.MemWrite{{Addr: t.buf.slot, Data: mark}}
}

// askStop makes t's next buffered call a traced one, where a signal held
// for t can be delivered.
func (r *recording) askStop(t *task) error {
	if t.buf.slot == 0 {
		return nil
	}
	var one [4]byte
	one[0] = 1
	return t.WriteMem(t.buf.slot+preload.WantStopOff, one[:])
}

// abortUntraced handles a stop of t in a buffered call that the kernel
// interrupted (it blocked, and a signal came: rewind's SIGSTOP or the
// program's): the call is made to return -preload.Abort, and the library
// makes it again, traced, where the recorder can switch threads or
// deliver the signal. Calls that end with EINTR when stopped (epoll_wait,
// …) are made again too: without rewind there was no stop.
func abortUntraced(t *task, regs *unix.PtraceRegs) (bool, error) {
	const (
		errIntr          = 4
		errRestartSys    = 512
		errRestartNoIntr = 513
		errRestartNoHand = 514
		errRestartBlock  = 516
	)
	if regs.Rip != preload.UntracedIP {
		return false, nil
	}
	switch -int64(regs.Rax) {
	case errIntr, errRestartSys, errRestartNoIntr, errRestartNoHand, errRestartBlock:
	default:
		return false, nil
	}
	regs.Rax = ^uint64(preload.Abort - 1) // as the kernel leaves -errno
	regs.Orig_rax = ^uint64(0)            // no restart
	return true, t.SetRegs(regs)
}

// blockedInBuffer tells whether thread tid sleeps in a buffered call
// (at the untraced site), from /proc/tid/syscall: "nr args… sp pc".
func blockedInBuffer(tid int) bool {
	if !sleeping(tid) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", tid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return false
	}
	pc, err := strconv.ParseUint(strings.TrimPrefix(f[len(f)-1], "0x"), 16, 64)
	return err == nil && pc == preload.UntracedIP
}
