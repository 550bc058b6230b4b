package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"
)

// FlushInterval bounds how long a written frame may stay buffered in
// memory: a recorder that dies loses at most this much of the recording
// (plus the frame it was writing).
const FlushInterval = time.Second

// Writer appends frames to a trace directory being recorded. A
// background flusher cuts a chunk when frames have waited FlushInterval,
// so a recorder that dies while its program runs quietly (a long
// computation, a blocking read) still leaves them on disk.
type Writer struct {
	Dir    string
	Frames int64

	mu    sync.Mutex // guards s, buf and since against the flusher
	f     *os.File
	s     *StreamWriter
	buf   []byte
	since time.Time // when the oldest unflushed frame was written (zero: none)
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once // stops the flusher
}

// Create makes a new trace directory (which must not exist or be empty),
// writes its header and marks it incomplete until Close.
func Create(dir string, h *Header) (*Writer, error) {
	if err := os.MkdirAll(filepath.Join(dir, FilesDir), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, IncompleteFile), []byte("recording in progress or interrupted\n"), 0o644); err != nil {
		return nil, err
	}
	h.FormatVersion = FormatVersion
	if err := WriteHeader(dir, h); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, EventsFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	s, err := NewStreamWriter(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	w := &Writer{Dir: dir, f: f, s: s, stop: make(chan struct{}), done: make(chan struct{})}
	go w.flusher()
	return w, nil
}

// flusher flushes frames that have waited FlushInterval, until Close.
func (w *Writer) flusher() {
	defer close(w.done)
	tick := time.NewTicker(FlushInterval / 4)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-tick.C:
			w.mu.Lock()
			if !w.since.IsZero() && now.Sub(w.since) >= FlushInterval {
				w.flushLocked() // an error sticks in s: the next Write returns it
			}
			w.mu.Unlock()
		}
	}
}

// Write appends one frame.
func (w *Writer) Write(fr *Frame) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = AppendFrame(w.buf[:0], fr)
	var n [binary.MaxVarintLen64]byte
	if _, err := w.s.Write(n[:binary.PutUvarint(n[:], uint64(len(w.buf)))]); err != nil {
		return w.fileErr(err)
	}
	if _, err := w.s.Write(w.buf); err != nil {
		return w.fileErr(err)
	}
	w.Frames++
	if w.since.IsZero() {
		w.since = time.Now()
	}
	return nil
}

// fileErr names the events file in err unless the OS already did.
func (w *Writer) fileErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s: %w", w.f.Name(), err)
}

func (w *Writer) flushLocked() error {
	w.since = time.Time{}
	if err := w.s.Flush(); err != nil {
		return w.fileErr(err)
	}
	return nil
}

// Flush writes the frames buffered so far to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Stats returns the raw and stored size of the events stream so far.
func (w *Writer) Stats() (raw, stored int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.s.Sizes()
}

// Close flushes the events; with complete set it also syncs them to disk
// and then removes the incomplete marker, so a trace without the marker
// is whole even after a crash of the machine.
func (w *Writer) Close(complete bool) error {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.s.Close()
	if err != nil {
		err = w.fileErr(err)
	}
	if err == nil && complete {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && complete {
		err = os.Remove(filepath.Join(w.Dir, IncompleteFile))
	}
	return err
}

// Reader reads the frames of a trace in order.
type Reader struct {
	Dir    string
	Header *Header
	f      *os.File
	s      *StreamReader
	r      *StreamReader
	name   string
	start  int64 // offset of the chunk where the frame being read starts
	// Next is the number of the next frame Read returns.
	Next int64
}

// Open opens the trace in dir for reading.
func Open(dir string) (*Reader, error) {
	h, err := ReadHeader(dir)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, EventsFile)
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	s, err := NewStreamReader(f, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	// A recorder that died may have left its last chunk half written;
	// the frames before it are still good.
	s.tornOK = Incomplete(dir)
	return &Reader{Dir: dir, Header: h, f: f, s: s, r: s, name: name}, nil
}

// Torn describes the partial chunk or frame an incomplete trace ends
// with (lost when the recorder died), once Read has reached it; nil if
// there is none.
func (r *Reader) Torn() error {
	if r.s.torn == nil {
		return nil
	}
	return r.s.torn
}

// Chunks returns how many chunks have been read and verified so far.
func (r *Reader) Chunks() int { return r.s.chunks }

// FrameOffset returns the offset in the events file of the chunk where
// the next frame starts (for messages).
func (r *Reader) FrameOffset() int64 {
	if r.s.pos < len(r.s.chunk) {
		return r.s.cur
	}
	return r.s.off
}

// EventsFile returns the path of the events file being read.
func (r *Reader) EventsFile() string { return r.name }

// Close closes the trace.
func (r *Reader) Close() error {
	r.s.Close()
	return r.f.Close()
}

// File returns the path of a copied file of the trace.
func (r *Reader) File(name string) string { return filepath.Join(r.Dir, FilesDir, name) }

// Position is a place in the frames, to come back to with Seek.
type Position struct {
	chunk int64 // file offset of the chunk
	pos   int   // offset in its decompressed data
	frame int64
}

// Tell returns the position of the next frame.
func (r *Reader) Tell() Position {
	return Position{chunk: r.s.cur, pos: r.s.pos, frame: r.Next}
}

// Seek returns to a position given by Tell.
func (r *Reader) Seek(p Position) error {
	if p.chunk == 0 { // nothing read yet
		p.chunk = int64(len(streamMagic))
	}
	if err := r.s.seek(r.f, p.chunk, p.pos); err != nil {
		return err
	}
	r.Next = p.frame
	return nil
}

// Read returns the next frame, or io.EOF after the last one. A trace that
// ends in the middle of a chunk or frame, or is damaged, gives a
// *FormatError; but such an end of a trace marked incomplete (the
// recorder died while writing it) is io.EOF, and Torn says what was cut.
func (r *Reader) Read() (*Frame, error) {
	r.start = r.FrameOffset()
	size, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, r.wrap(err)
	}
	if size > maxMemData+1<<20 {
		return nil, r.bad("frame of %d bytes", size)
	}
	var body []byte
	if size <= 1<<24 {
		body = make([]byte, size)
		if _, err := io.ReadFull(r.r, body); err != nil {
			return nil, r.wrap(err)
		}
	} else { // grow as data arrives, so a damaged size cannot allocate much
		buf, err := io.ReadAll(io.LimitReader(r.r, int64(size)))
		if err != nil {
			return nil, r.wrap(err)
		}
		if uint64(len(buf)) != size {
			return nil, r.wrap(io.ErrUnexpectedEOF)
		}
		body = buf
	}
	f, err := decodeFrame(body, r.Header.FormatVersion)
	if err != nil {
		return nil, r.bad("%v", err)
	}
	r.Next++
	return f, nil
}

func (r *Reader) wrap(err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		fe := &FormatError{File: r.name, Off: r.start, Msg: fmt.Sprintf("frame %d is truncated: the recording was cut short", r.Next)}
		if r.s.tornOK { // the recorder died in the middle of it
			if r.s.torn == nil {
				r.s.torn = fe
			}
			return io.EOF
		}
		return fe
	}
	return &FormatError{File: r.name, Off: r.start, Msg: fmt.Sprintf("frame %d: %v", r.Next, err), Err: err}
}

func (r *Reader) bad(format string, args ...any) error {
	return &FormatError{File: r.name, Off: r.start, Msg: fmt.Sprintf("frame %d: ", r.Next) + fmt.Sprintf(format, args...)}
}

// decoder reads the fields of one frame body.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(limit uint64) []byte {
	n := d.uvarint()
	if n > limit || n > uint64(len(d.b)) {
		d.fail("byte string length out of range")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.fail("short frame")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) regs(dst unsafe.Pointer) {
	if len(d.b) < regsSize {
		d.fail("short registers")
		return
	}
	copy(unsafe.Slice((*byte)(dst), regsSize), d.b)
	d.b = d.b[regsSize:]
}

func (d *decoder) mem() []MemWrite {
	n := d.uvarint()
	if n > maxMemWrites || n > uint64(len(d.b)) {
		d.fail("memory write count out of range")
		return nil
	}
	if n == 0 {
		return nil
	}
	ws := make([]MemWrite, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		addr := d.uvarint()
		ws = append(ws, MemWrite{Addr: addr, Data: d.bytes(maxMemData)})
	}
	return ws
}

// DecodeFrame decodes one frame body written by AppendFrame.
func DecodeFrame(b []byte) (*Frame, error) { return decodeFrame(b, FormatVersion) }

// decodeFrame decodes a frame body of the given format version.
func decodeFrame(b []byte, version int) (*Frame, error) {
	d := &decoder{b: b}
	f := &Frame{Kind: Kind(d.byte1()), Flags: Flags(d.byte1())}
	f.Tid = int32(d.varint())
	d.regs(unsafe.Pointer(&f.Regs))
	switch f.Kind {
	case KindSyscall:
		f.Nr = d.uvarint()
		f.Result = d.varint()
		f.Mem = d.mem()
		if d.byte1() == 1 {
			f.Map = &Mapping{File: string(d.bytes(maxString)), Path: string(d.bytes(maxString))}
			f.Map.Offset = d.uvarint()
			f.Map.Size = d.uvarint()
		}
	case KindExec:
		f.Exe = string(d.bytes(maxString))
		f.ExeFile = string(d.bytes(maxString))
		n := d.uvarint()
		if n > 1024 {
			d.fail("too many exec files")
		}
		for i := uint64(0); i < n && d.err == nil; i++ {
			f.Files = append(f.Files, Mapping{File: string(d.bytes(maxString)), Path: string(d.bytes(maxString))})
		}
		f.Mem = d.mem()
		f.CPU = -1
		if version >= 8 {
			f.CPU = int32(d.varint())
		}
	case KindSignal:
		f.Signo = int32(d.varint())
		f.Siginfo = d.bytes(1024)
	case KindInsn:
		d.regs(unsafe.Pointer(&f.After))
	case KindExit:
		f.Status = int32(d.varint())
		f.Mem = d.mem()
	case KindEnter:
		f.Nr = d.uvarint()
		f.Result = d.varint()
		if version >= 4 {
			f.Mem = d.mem()
		}
	case KindPreempt:
		f.Digest = d.bytes(64)
		f.Stack = d.bytes(4096)
	case KindBuffered:
		f.Mem = d.mem()
	default:
		d.fail(fmt.Sprintf("unknown frame kind %d", f.Kind))
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes in frame")
	}
	if d.err != nil {
		return nil, d.err
	}
	return f, nil
}

func putUvarint(b []byte, v uint64) int { return binary.PutUvarint(b, v) }
