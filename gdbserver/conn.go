package gdbserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
)

// DefaultPacketSize is the largest packet accepted and sent unless
// ConnOptions says otherwise (advertised as PacketSize in qSupported).
const DefaultPacketSize = 0x20000

// minPacketSize keeps room for the longest fixed reply (a full g packet
// with AVX is 2*616 bytes, stop replies with thread lists, qSupported).
const minPacketSize = 0x1000

// Wire errors. ReadPacket wraps them in a *WireError; test with errors.Is.
var (
	// ErrInterrupt is returned by ReadPacket for a 0x03 byte received
	// between packets: the client asks to stop the running target.
	ErrInterrupt = errors.New("interrupt request (0x03)")
	// ErrChecksum: a packet's checksum did not match its contents (in ack
	// mode the packet was nacked and is not returned).
	ErrChecksum = errors.New("bad packet checksum")
	// ErrPacketTooLong: a packet was larger than the maximum packet size;
	// it was read and discarded.
	ErrPacketTooLong = errors.New("packet too long")
	// ErrBadEncoding: a packet's run-length or escape encoding was
	// malformed (a '*' or '}' with nothing to apply to).
	ErrBadEncoding = errors.New("bad packet encoding")
)

// WireError is a framing error of one incoming packet. Off is how many
// bytes had been read from the connection when it was detected.
type WireError struct {
	Err    error
	Off    int64
	Detail string
}

func (e *WireError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("gdb remote protocol: at byte %d: %v: %s", e.Off, e.Err, e.Detail)
	}
	return fmt.Sprintf("gdb remote protocol: at byte %d: %v", e.Off, e.Err)
}

func (e *WireError) Unwrap() error { return e.Err }

// Recoverable says whether the connection can go on after err from
// ReadPacket (it is a wire error of one packet, or an interrupt).
func Recoverable(err error) bool {
	var we *WireError
	return errors.As(err, &we)
}

// ConnOptions configures a Conn.
type ConnOptions struct {
	// MaxPacket bounds the decoded size of incoming packets and the
	// encoded size of outgoing ones; 0 means DefaultPacketSize.
	MaxPacket int
	// RLE run-length encodes text replies.
	RLE bool
	// Log receives one line per packet sent ("<- ") and received ("-> "),
	// acks and interrupts; nil disables wire logging.
	Log io.Writer
}

// Conn frames packets of the GDB remote serial protocol on one byte
// stream: checksums, acks (until no-ack mode), escapes, run-length
// encoding, interrupt bytes and a bound on packet size. It knows nothing
// of what packets mean. ReadPacket must be called from one goroutine at
// a time; the write methods are safe for concurrent use with each other
// and with ReadPacket.
type Conn struct {
	r    *bufio.Reader
	w    io.Writer
	off  int64 // bytes read so far
	max  int
	rle  bool
	log  io.Writer
	logm sync.Mutex

	noAck atomic.Bool

	wmu      sync.Mutex
	lastSent []byte // for retransmission when the client nacks
	raw      []byte // reused buffer for the raw payload being read
}

// NewConn wraps rw.
func NewConn(rw io.ReadWriter, opts ConnOptions) *Conn {
	max := opts.MaxPacket
	if max <= 0 {
		max = DefaultPacketSize
	}
	if max < minPacketSize {
		max = minPacketSize
	}
	return &Conn{r: bufio.NewReader(rw), w: rw, max: max, rle: opts.RLE, log: opts.Log}
}

// MaxPacket is the packet size bound in force.
func (c *Conn) MaxPacket() int { return c.max }

// SetNoAck switches acks off (after QStartNoAckMode: call it before
// sending the OK reply).
func (c *Conn) SetNoAck() { c.noAck.Store(true) }

// NoAck says whether no-ack mode is in force.
func (c *Conn) NoAck() bool { return c.noAck.Load() }

func (c *Conn) logf(format string, args ...any) {
	if c.log == nil {
		return
	}
	c.logm.Lock()
	fmt.Fprintf(c.log, format+"\n", args...)
	c.logm.Unlock()
}

// logPayload shortens a payload for the wire log.
func logPayload(p []byte) string {
	const max = 200
	if len(p) > max {
		return strconv.Quote(string(p[:max])) + fmt.Sprintf("...(%d bytes)", len(p))
	}
	return strconv.Quote(string(p))
}

func (c *Conn) readByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.off++
	}
	return b, err
}

func (c *Conn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.w.Write(b)
	return err
}

func unhex(b byte) (byte, bool) {
	switch {
	case '0' <= b && b <= '9':
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// ReadPacket returns the decoded payload of the next packet. Between
// packets it answers acks ('+' is ignored, '-' resends the last packet)
// and returns ErrInterrupt (wrapped) for each 0x03. A packet with a bad
// checksum is nacked and skipped in ack mode; in no-ack mode, and for
// packets over the size bound or badly encoded, the packet is discarded
// and a *WireError returned: the caller should reply with an error and
// go on. Other errors (io.EOF, network errors) end the connection.
//
// The returned slice is valid until the next call.
func (c *Conn) ReadPacket() ([]byte, error) {
	for {
		b, err := c.readByte()
		if err != nil {
			return nil, err
		}
		switch b {
		case '$':
		case 0x03:
			c.logf("-> interrupt")
			return nil, &WireError{Err: ErrInterrupt, Off: c.off}
		case '+':
			continue
		case '-':
			c.logf("-> nack")
			c.wmu.Lock()
			last := c.lastSent
			c.wmu.Unlock()
			if last != nil && !c.noAck.Load() {
				if err := c.writeRaw(last); err != nil {
					return nil, err
				}
			}
			continue
		default:
			// Noise between packets (e.g. a '%' notification ack); skip.
			continue
		}
		p, err := c.readFrame()
		if err != nil {
			var we *WireError
			if errors.As(err, &we) && errors.Is(err, ErrChecksum) && !c.noAck.Load() {
				c.logf("-> bad checksum; nack")
				if err := c.writeRaw([]byte{'-'}); err != nil {
					return nil, err
				}
				continue
			}
			if errors.As(err, &we) && !c.noAck.Load() {
				// The packet arrived whole: ack it so the client does not
				// resend it, then let the caller reply with an error.
				if err := c.writeRaw([]byte{'+'}); err != nil {
					return nil, err
				}
			}
			return nil, err
		}
		if !c.noAck.Load() {
			if err := c.writeRaw([]byte{'+'}); err != nil {
				return nil, err
			}
		}
		c.logf("-> %s", logPayload(p))
		return p, nil
	}
}

// readFrame reads after a '$' up to and including the checksum, and
// decodes the payload. At most c.max raw bytes are kept; the rest of an
// oversized packet is read and dropped.
func (c *Conn) readFrame() ([]byte, error) {
restart:
	raw := c.raw[:0]
	var sum byte
	tooLong := false
	for {
		b, err := c.readByte()
		if err != nil {
			return nil, err
		}
		if b == '#' {
			break
		}
		if b == '$' && !tooLong {
			// A new packet starts before this one ended: the client lost
			// sync (or gave up on it). Start over.
			goto restart
		}
		sum += b
		if len(raw) >= c.max {
			tooLong = true
			continue
		}
		raw = append(raw, b)
	}
	c.raw = raw
	var cs [2]byte
	for i := range cs {
		b, err := c.readByte()
		if err != nil {
			return nil, err
		}
		cs[i] = b
	}
	hi, ok1 := unhex(cs[0])
	lo, ok2 := unhex(cs[1])
	if tooLong {
		return nil, &WireError{Err: ErrPacketTooLong, Off: c.off, Detail: fmt.Sprintf("over %d bytes", c.max)}
	}
	if !ok1 || !ok2 || hi<<4|lo != sum {
		return nil, &WireError{Err: ErrChecksum, Off: c.off,
			Detail: fmt.Sprintf("packet %s checksum %q want %02x", logPayload(raw), cs[:], sum)}
	}
	return c.decode(raw)
}

// decode undoes '}' escapes and '*' run-length encoding in place-safe
// fashion into a new slice bounded by c.max.
func (c *Conn) decode(raw []byte) ([]byte, error) {
	plain := true
	for _, b := range raw {
		if b == '}' || b == '*' {
			plain = false
			break
		}
	}
	if plain {
		return raw, nil
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		switch b {
		case '}':
			if i+1 >= len(raw) {
				return nil, &WireError{Err: ErrBadEncoding, Off: c.off, Detail: "escape at end of packet"}
			}
			i++
			out = append(out, raw[i]^0x20)
		case '*':
			if i+1 >= len(raw) || len(out) == 0 {
				return nil, &WireError{Err: ErrBadEncoding, Off: c.off, Detail: "run-length marker without a byte to repeat"}
			}
			i++
			n := int(raw[i]) - 29
			if n < 0 {
				return nil, &WireError{Err: ErrBadEncoding, Off: c.off, Detail: fmt.Sprintf("run length %q", raw[i])}
			}
			if len(out)+n > c.max {
				return nil, &WireError{Err: ErrPacketTooLong, Off: c.off, Detail: fmt.Sprintf("over %d bytes after run-length decoding", c.max)}
			}
			last := out[len(out)-1]
			for ; n > 0; n-- {
				out = append(out, last)
			}
		default:
			out = append(out, b)
		}
	}
	return out, nil
}

// needsEscape lists the bytes escaped in outgoing packets.
func needsEscape(b byte) bool { return b == '$' || b == '#' || b == '}' || b == '*' }

// frame builds $<escaped payload>#<checksum>, run-length encoding it when
// rle is set.
func frame(payload []byte, rle bool) []byte {
	out := make([]byte, 0, len(payload)+4)
	out = append(out, '$')
	for i := 0; i < len(payload); {
		b := payload[i]
		if needsEscape(b) {
			out = append(out, '}', b^0x20)
			i++
			continue
		}
		out = append(out, b)
		i++
		if !rle {
			continue
		}
		// Count repeats of b after this one.
		n := 0
		for i+n < len(payload) && payload[i+n] == b && n < 97 {
			n++
		}
		// The count byte is n+29; it must be printable and not one of
		// the framing characters, and a run must save space.
		for n >= 3 && !rleCountOK(byte(n+29)) {
			n--
		}
		if n >= 3 {
			out = append(out, '*', byte(n+29))
			i += n
		}
	}
	var sum byte
	for _, b := range out[1:] {
		sum += b
	}
	return append(out, '#', hexDigits[sum>>4], hexDigits[sum&0xf])
}

func rleCountOK(c byte) bool {
	switch c {
	case '$', '#', '+', '-', '}', '*', '{', ':':
		return false
	}
	return c >= 32 && c <= 126
}

const hexDigits = "0123456789abcdef"

func (c *Conn) send(payload []byte, rle bool) error {
	f := frame(payload, rle)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.noAck.Load() {
		c.lastSent = f
	}
	c.logf("<- %s", logPayload(payload))
	_, err := c.w.Write(f)
	return err
}

// WritePacket sends a text reply (run-length encoded if enabled). Text
// replies should hold no '$', '#', '}' or '*'; any that do are escaped.
func (c *Conn) WritePacket(payload []byte) error { return c.send(payload, c.rle) }

// WriteString is WritePacket for a string.
func (c *Conn) WriteString(payload string) error { return c.send([]byte(payload), c.rle) }

// WriteBinary sends a reply holding binary data (x, qXfer, vFile:pread):
// escaped, never run-length encoded (Delve does not decode RLE there).
func (c *Conn) WriteBinary(payload []byte) error { return c.send(payload, false) }
