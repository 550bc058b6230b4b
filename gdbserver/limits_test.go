package gdbserver

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// repeatReader yields n copies of b without holding them in memory.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := int64(len(p))
	if k > r.n {
		k = r.n
	}
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

type readWriter struct {
	io.Reader
	io.Writer
}

// TestHugePacketBoundedMemory: a packet far over the bound (raw, and as
// a run-length bomb) is dropped while reading, without ever holding it.
func TestHugePacketBoundedMemory(t *testing.T) {
	const huge = 64 << 20
	inputs := map[string]func() io.Reader{
		"raw": func() io.Reader {
			return io.MultiReader(strings.NewReader("$"), &repeatReader{b: 'a', n: huge}, strings.NewReader("#00$qC#b4"))
		},
		"run-length": func() io.Reader {
			// "a*~" repeated: each triple decodes to 98 bytes.
			rle := strings.Repeat("a*~", 1000)
			return strings.NewReader("$" + rle + "#" + checksum([]byte(rle)) + "$qC#b4")
		},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			conn := NewConn(readWriter{in(), io.Discard}, ConnOptions{MaxPacket: minPacketSize})
			conn.SetNoAck()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := conn.ReadPacket()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrPacketTooLong) {
				t.Fatalf("oversized packet: %v", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("reading it allocated %d bytes", grew)
			}
			if p, err := conn.ReadPacket(); err != nil || string(p) != "qC" {
				t.Errorf("the packet after it: %q, %v", p, err)
			}
		})
	}
}

// TestPendingBounded: packets that arrive while the target runs are
// kept for after the stop, up to maxPending; more are dropped.
func TestPendingBounded(t *testing.T) {
	f := newFake()
	f.hang = true
	tc := startNoAck(t, f)
	tc.send("vCont;c")
	for i := 0; i < 10*maxPending; i++ {
		tc.send("qC")
	}
	tc.sendRaw([]byte{0x03})
	if got := tc.recv(); !strings.HasPrefix(got, "T02") {
		t.Fatalf("stop after interrupt: %q", got)
	}
	tc.send("?")
	n := 0
	for {
		got := tc.recv()
		if strings.HasPrefix(got, "T") {
			break
		}
		if got != "QC1234" {
			t.Fatalf("queued reply %q", got)
		}
		n++
	}
	if n != maxPending {
		t.Errorf("%d queued packets answered, want %d", n, maxPending)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecondClientRefused: with one session allowed, a client that
// comes while it runs is closed at once and the log says why; the
// first session goes on.
func TestSecondClientRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback: %v", err)
	}
	var logBuf syncBuffer
	srv := New(newFake(), Options{Log: log.New(&logBuf, "", 0)})
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ln, false) }()
	dial := func() *testClient {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return &testClient{t: t, c: c, r: bufio.NewReader(c), ack: true}
	}
	first := dial()
	if got := first.exchange("qC"); got != "QC1234" {
		t.Fatalf("first client: %q", got)
	}
	second := dial()
	second.deadline()
	if b, err := second.r.ReadByte(); err == nil {
		t.Errorf("second client got %q", b)
	}
	if !strings.Contains(logBuf.String(), "refused client") || !strings.Contains(logBuf.String(), ErrBusy.Error()) {
		t.Errorf("log: %q", logBuf.String())
	}
	if got := first.exchange("qC"); got != "QC1234" {
		t.Errorf("first client after the second was refused: %q", got)
	}
	first.send("k")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener did not return after k")
	}
}
