package gdbserver

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// rw is a scripted connection: reads come from in, writes go to out.
type rw struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *rw) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *rw) Write(p []byte) (int, error) { return c.out.Write(p) }

func newTestConn(in string, noAck bool) (*Conn, *rw) {
	c := &rw{in: bytes.NewReader([]byte(in))}
	conn := NewConn(c, ConnOptions{MaxPacket: minPacketSize})
	if noAck {
		conn.SetNoAck()
	}
	return conn, c
}

type readResult struct {
	pkt string
	err error
}

func readAll(conn *Conn) []readResult {
	var res []readResult
	for {
		p, err := conn.ReadPacket()
		res = append(res, readResult{string(p), err})
		if err != nil && !Recoverable(err) {
			return res
		}
	}
}

func TestReadPacket(t *testing.T) {
	long := strings.Repeat("a", minPacketSize+1)
	tests := []struct {
		name  string
		in    string
		noAck bool
		want  []readResult // the last one is io.EOF
		acks  string
	}{
		{"simple", "$qC#b4", false, []readResult{{"qC", nil}}, "+"},
		{"noack", "$qC#b4", true, []readResult{{"qC", nil}}, ""},
		{"uppercase checksum", "$m0,1#" + strings.ToUpper(checksum([]byte("m0,1"))), true, []readResult{{"m0,1", nil}}, ""},
		{"acks and noise between packets", "++-x\r\n$qC#b4", false, []readResult{{"qC", nil}}, "+"},
		{"bad checksum nacked", "$qC#00$qC#b4", false, []readResult{{"qC", nil}}, "-+"},
		{"bad checksum no-ack", "$qC#00", true, []readResult{{"", ErrChecksum}}, ""},
		{"non-hex checksum", "$qC#zz", true, []readResult{{"", ErrChecksum}}, ""},
		{"interrupt", "\x03$qC#b4\x03", true, []readResult{{"", ErrInterrupt}, {"qC", nil}, {"", ErrInterrupt}}, ""},
		{"0x03 inside a packet is data", "$X0,1:\x03#" + checksum([]byte("X0,1:\x03")), true,
			[]readResult{{"X0,1:\x03", nil}}, ""},
		{"escape", "$X0,1:}\x03#" + checksum([]byte("X0,1:}\x03")), true, []readResult{{"X0,1:#", nil}}, ""},
		{"escaped star is not RLE", "$X0,2:a}\x0a#" + checksum([]byte("X0,2:a}\x0a")), true,
			[]readResult{{"X0,2:a*", nil}}, ""},
		{"run-length", "$0* #" + checksum([]byte("0* ")), true, []readResult{{"0000", nil}}, ""},
		{"run-length at start", "$*  #" + checksum([]byte("*  ")), true, []readResult{{"", ErrBadEncoding}}, ""},
		{"run-length count too small", "$a*\x01#" + checksum([]byte("a*\x01")), true, []readResult{{"", ErrBadEncoding}}, ""},
		{"escape at end", "$a}#" + checksum([]byte("a}")), true, []readResult{{"", ErrBadEncoding}}, ""},
		{"too long", "$" + long + "#" + checksum([]byte(long)) + "$qC#b4", false,
			[]readResult{{"", ErrPacketTooLong}, {"qC", nil}}, "++"},
		{"restart on $", "$qX$qC#b4", true, []readResult{{"qC", nil}}, ""},
		{"truncated", "$qC#b", true, nil, ""},
		{"empty", "$#00", true, []readResult{{"", nil}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, c := newTestConn(tt.in, tt.noAck)
			got := readAll(conn)
			last := got[len(got)-1]
			if !errors.Is(last.err, io.EOF) {
				t.Fatalf("last result %v, want EOF", last.err)
			}
			got = got[:len(got)-1]
			if len(got) != len(tt.want) {
				t.Fatalf("have %d results %v, want %v", len(got), got, tt.want)
			}
			for i, w := range tt.want {
				if got[i].pkt != w.pkt || (w.err == nil) != (got[i].err == nil) || (w.err != nil && !errors.Is(got[i].err, w.err)) {
					t.Errorf("result %d: have %q, %v; want %q, %v", i, got[i].pkt, got[i].err, w.pkt, w.err)
				}
				if w.err != nil && !Recoverable(got[i].err) {
					t.Errorf("result %d: %v not recoverable", i, got[i].err)
				}
			}
			if c.out.String() != tt.acks {
				t.Errorf("wrote %q, want acks %q", c.out.String(), tt.acks)
			}
		})
	}
}

func TestWireErrorMessage(t *testing.T) {
	conn, _ := newTestConn("$qC#00", true)
	_, err := conn.ReadPacket()
	var we *WireError
	if !errors.As(err, &we) || we.Off != 6 || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("error %v (%#v)", err, we)
	}
}

func TestFrame(t *testing.T) {
	tests := []struct {
		payload string
		rle     bool
		want    string
	}{
		{"OK", false, "$OK#9a"},
		{"", false, "$#00"},
		{"a$b#c}d*", false, "$a}\x04b}\x03c}]d}\x0a#"},
		{"0000", true, "$0* #"},
		{"000", true, "$000#"},
		{"00000000", true, "$0*\"00#"}, // 7 repeats would be '$', 6 '#': 5, then 2 plain
		{"000000000", true, "$0*%#"},   // 8 repeats is '%'
		{strings.Repeat("f", 100), true, "$f*~ff#"},
	}
	for _, tt := range tests {
		got := string(frame([]byte(tt.payload), tt.rle))
		want := tt.want
		if strings.HasSuffix(want, "#") {
			want += checksum([]byte(want[1 : len(want)-1]))
		}
		if got != want {
			t.Errorf("frame(%q, %v) = %q, want %q", tt.payload, tt.rle, got, want)
		}
		// Whatever the encoding, reading it back gives the payload.
		conn, _ := newTestConn(got, true)
		p, err := conn.ReadPacket()
		if err != nil || string(p) != tt.payload {
			t.Errorf("read back %q: %q, %v", got, p, err)
		}
	}
}
