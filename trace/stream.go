package trace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// A stream is a sequence of independently compressed, checksummed chunks,
// so a recorder that dies loses at most the chunk it was filling, and a
// damaged byte is found and named at its chunk.
//
//	stream := streamMagic chunk*
//	chunk  := magic:u32 rawLen:u32 compLen:u32 crc32c(comp):u32 comp[compLen]
//
// The magic names the codec: zstd, or S2 (format 10 on) for chunks cut
// while the writer was behind.
const (
	streamMagic    = "RWNDSTR1"
	chunkMagic     = 0x4b4e4843 // "CHNK": zstd
	chunkMagicS2   = 0x32534843 // "CHS2": S2
	chunkHdrSize   = 16
	chunkTarget    = 1 << 20  // raw bytes buffered before a chunk is cut
	maxChunkRaw    = 64 << 20 // bounds what a damaged length can make us allocate
	maxChunkStored = maxChunkRaw + maxChunkRaw/8 + 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// StreamWriter compresses what is written to it into chunks. A chunk that
// fills up is compressed and written by a goroutine of its own, so the
// writer goes on meanwhile: a recording's program runs on one CPU while
// its trace is compressed on another (zstd took a fifth of the recording
// of a 36 MB copy when it was done in line). A chunk is compressed with
// zstd unless others wait behind it: then with S2, twice as fast here
// (590 against 270 MB/s) for a third more bytes, so that a program
// writing its trace faster than zstd compresses it does not wait.
type StreamWriter struct {
	w       io.Writer
	enc     *zstd.Encoder
	buf     []byte
	chunks  chan []byte // cut, for the goroutine to write
	free    chan []byte // written, for reuse
	pending sync.WaitGroup
	done    chan struct{}

	mu          sync.Mutex // guards what the goroutine sets
	err         error
	raw, stored int64
}

// NewStreamWriter starts a stream on w.
func NewStreamWriter(w io.Writer) (*StreamWriter, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false)) // each chunk has a CRC-32C of its own
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, streamMagic); err != nil {
		return nil, err
	}
	s := &StreamWriter{w: w, enc: enc, buf: make([]byte, 0, chunkTarget), stored: int64(len(streamMagic)),
		chunks: make(chan []byte, 4), free: make(chan []byte, 4), done: make(chan struct{})}
	go s.writeChunks()
	return s, nil
}

func (s *StreamWriter) writeChunks() {
	defer close(s.done)
	for b := range s.chunks {
		s.writeChunk(b, len(s.chunks) > 0)
		s.pending.Done()
		select {
		case s.free <- b[:0]:
		default:
		}
	}
}

// writeChunk compresses b, with S2 if fast, and writes it as one chunk,
// unless an earlier write failed.
func (s *StreamWriter) writeChunk(b []byte, fast bool) {
	if s.failed() != nil {
		return
	}
	var comp []byte
	magic := uint32(chunkMagic)
	if fast {
		comp = make([]byte, chunkHdrSize+s2.MaxEncodedLen(len(b)))
		comp = comp[:chunkHdrSize+len(s2.Encode(comp[chunkHdrSize:], b))]
		magic = chunkMagicS2
	} else {
		comp = s.enc.EncodeAll(b, make([]byte, chunkHdrSize, chunkHdrSize+len(b)/2))
	}
	body := comp[chunkHdrSize:]
	binary.LittleEndian.PutUint32(comp[0:], magic)
	binary.LittleEndian.PutUint32(comp[4:], uint32(len(b)))
	binary.LittleEndian.PutUint32(comp[8:], uint32(len(body)))
	binary.LittleEndian.PutUint32(comp[12:], crc32.Checksum(body, castagnoli))
	_, err := s.w.Write(comp)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return
	}
	s.raw += int64(len(b))
	s.stored += int64(len(comp))
}

func (s *StreamWriter) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// cut hands what is buffered to the goroutine as a chunk.
func (s *StreamWriter) cut() {
	s.pending.Add(1)
	s.chunks <- s.buf
	select {
	case s.buf = <-s.free:
	default:
		s.buf = make([]byte, 0, chunkTarget)
	}
}

func (s *StreamWriter) Write(p []byte) (int, error) {
	if err := s.failed(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		room := min(chunkTarget-len(s.buf), len(p))
		s.buf = append(s.buf, p[:room]...)
		p = p[room:]
		if len(s.buf) >= chunkTarget {
			s.cut()
		}
	}
	return n, nil
}

// Flush writes what is buffered as one chunk, and waits until every chunk
// is written.
func (s *StreamWriter) Flush() error {
	if len(s.buf) > 0 {
		s.cut()
	}
	s.pending.Wait()
	return s.failed()
}

// Sizes returns the bytes written so far before and after compression.
func (s *StreamWriter) Sizes() (raw, stored int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw, s.stored
}

// Close flushes the last chunk. It does not close the underlying writer.
func (s *StreamWriter) Close() error {
	err := s.Flush()
	close(s.chunks)
	<-s.done
	s.enc.Close()
	return err
}

// StreamReader decompresses a stream written by StreamWriter.
type StreamReader struct {
	r     *bufio.Reader
	name  string
	off   int64 // offset of the next chunk in the file
	cur   int64 // offset of the chunk being read
	dec   *zstd.Decoder
	chunk []byte
	pos   int
	err   error
	// tornOK: the stream may end inside a chunk, as one does when the
	// recorder died while writing it; that end reads as io.EOF and torn
	// says what was cut.
	tornOK bool
	torn   *FormatError
	chunks int // chunks read and verified
	// ahead delivers the chunk after the current one, read and
	// decompressed by a goroutine while the current one is used.
	ahead chan chunkRead
}

// chunkRead is a chunk read at offset cur, which ends at off.
type chunkRead struct {
	cur, off int64
	raw      []byte
	err      error
	torn     *FormatError // the stream ends inside this chunk (err is io.EOF)
}

// NewStreamReader reads a stream from r; name is used in errors.
func NewStreamReader(r io.Reader, name string) (*StreamReader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic := make([]byte, len(streamMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != streamMagic {
		return nil, &FormatError{File: name, Off: 0, Msg: "not a rewind stream (bad magic)"}
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxChunkRaw))
	if err != nil {
		return nil, err
	}
	return &StreamReader{r: br, name: name, off: int64(len(streamMagic)), dec: dec}, nil
}

func (s *StreamReader) Read(p []byte) (int, error) {
	for s.pos == len(s.chunk) {
		if s.err != nil {
			return 0, s.err
		}
		s.err = s.next()
		if s.err != nil && s.pos == len(s.chunk) {
			return 0, s.err
		}
	}
	n := copy(p, s.chunk[s.pos:])
	s.pos += n
	return n, nil
}

func (s *StreamReader) fail(msg string, args ...any) error {
	return &FormatError{File: s.name, Off: s.off, Msg: fmt.Sprintf(msg, args...)}
}

// ReadByte reads one byte (for varints).
func (s *StreamReader) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := io.ReadFull(s, b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

func (s *StreamReader) next() error {
	var c chunkRead
	if s.ahead != nil {
		c = <-s.ahead
		s.ahead = nil
	} else {
		c = s.readChunk(s.off)
	}
	s.cur = c.cur
	if c.torn != nil {
		s.torn = c.torn
	}
	if c.err != nil {
		return c.err
	}
	s.off, s.chunk, s.pos = c.off, c.raw, 0
	s.chunks++
	// The next chunk is decompressed meanwhile, on another CPU: replay
	// uses this one while the tracee runs.
	ahead := make(chan chunkRead, 1)
	s.ahead = ahead
	go func(off int64) { ahead <- s.readChunk(off) }(s.off)
	return nil
}

// readChunk reads and decompresses the chunk at off, where s.r is. It
// touches nothing else of s: a goroutine runs it ahead of next.
func (s *StreamReader) readChunk(off int64) chunkRead {
	c := chunkRead{cur: off}
	fail := func(msg string, args ...any) chunkRead {
		c.err = &FormatError{File: s.name, Off: off, Msg: fmt.Sprintf(msg, args...)}
		return c
	}
	// cut: a chunk that ends early. At the end of the file of a stream
	// that may be torn it is the end (io.EOF), otherwise damage. Read
	// errors other than the end of the file are reported as they are.
	cut := func(err error, msg string, args ...any) chunkRead {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			c.err = &FormatError{File: s.name, Off: off, Msg: "reading the chunk: " + err.Error(), Err: err}
			return c
		}
		fail(msg, args...)
		if s.tornOK {
			c.torn, c.err = c.err.(*FormatError), io.EOF
		}
		return c
	}
	var hdr [chunkHdrSize]byte
	n, err := io.ReadFull(s.r, hdr[:])
	if err == io.EOF {
		c.err = io.EOF
		return c
	}
	if err != nil {
		return cut(err, "truncated chunk header (%d of %d bytes)", n, chunkHdrSize)
	}
	magic := binary.LittleEndian.Uint32(hdr[0:])
	if magic != chunkMagic && magic != chunkMagicS2 {
		return fail("corrupt chunk header (bad magic)")
	}
	rawLen := binary.LittleEndian.Uint32(hdr[4:])
	compLen := binary.LittleEndian.Uint32(hdr[8:])
	sum := binary.LittleEndian.Uint32(hdr[12:])
	if rawLen > maxChunkRaw || compLen > maxChunkStored {
		return fail("corrupt chunk header (sizes %d/%d out of range)", rawLen, compLen)
	}
	comp := make([]byte, compLen)
	if n, err := io.ReadFull(s.r, comp); err != nil {
		return cut(err, "truncated chunk (%d of %d bytes)", n, compLen)
	}
	if crc32.Checksum(comp, castagnoli) != sum {
		return fail("chunk checksum mismatch: the trace is corrupted")
	}
	var raw []byte
	if magic == chunkMagicS2 {
		if n, derr := s2.DecodedLen(comp); derr != nil || n != int(rawLen) {
			return fail("chunk does not decompress: %d bytes for %d (%v)", n, rawLen, derr)
		}
		raw, err = s2.Decode(make([]byte, rawLen), comp)
	} else {
		raw, err = s.dec.DecodeAll(comp, make([]byte, 0, rawLen))
	}
	if err != nil || len(raw) != int(rawLen) {
		return fail("chunk does not decompress: %v", err)
	}
	c.off, c.raw = off+chunkHdrSize+int64(compLen), raw
	return c
}

// stopAhead waits for the chunk being read ahead, if any, and drops it.
func (s *StreamReader) stopAhead() {
	if s.ahead != nil {
		<-s.ahead
		s.ahead = nil
	}
}

// seek repositions the stream at the chunk starting at off in rs, pos
// bytes into its decompressed data.
func (s *StreamReader) seek(rs io.ReadSeeker, off int64, pos int) error {
	s.stopAhead()
	if _, err := rs.Seek(off, io.SeekStart); err != nil {
		return err
	}
	s.r.Reset(rs)
	s.off, s.chunk, s.pos, s.err = off, nil, 0, nil
	if err := s.next(); err != nil {
		if err == io.EOF && pos == 0 {
			s.err = io.EOF
			return nil
		}
		return err
	}
	if pos > len(s.chunk) {
		return s.fail("position %d beyond the chunk", pos)
	}
	s.pos = pos
	return nil
}

// Close releases the decoder.
func (s *StreamReader) Close() {
	s.stopAhead()
	s.dec.Close()
}

var errFrameTooBig = errors.New("frame too big")
