package gdbserver

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzPacket feeds arbitrary bytes to the framing layer: it must never
// panic, never return a packet over the bound, and end every stream with
// a non-recoverable error (EOF here). Framing any payload and reading it
// back must give the payload.
func FuzzPacket(f *testing.F) {
	for _, s := range []string{
		"$qC#b4", "+$?#3f", "\x03", "$X0,1:}\x03#00", "$0* #" + checksum([]byte("0* ")),
		"$m0,1#2a$qSupported:multiprocess+;swbreak+#00", "$a*\x01#00", "$#00", "$$$#", "-+-",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, noAck := range []bool{false, true} {
			c := &rw{in: bytes.NewReader(data)}
			conn := NewConn(c, ConnOptions{MaxPacket: minPacketSize})
			if noAck {
				conn.SetNoAck()
			}
			for i := 0; ; i++ {
				p, err := conn.ReadPacket()
				if err != nil {
					if Recoverable(err) {
						if p != nil {
							t.Fatalf("packet %q returned with error %v", p, err)
						}
						continue
					}
					if !errors.Is(err, io.EOF) {
						t.Fatalf("unexpected error %v", err)
					}
					break
				}
				if len(p) > conn.MaxPacket() {
					t.Fatalf("packet of %d bytes over the %d bound", len(p), conn.MaxPacket())
				}
				if i > len(data) {
					t.Fatal("more packets than input bytes")
				}
			}
			if c.out.Len() > len(data)+2*len(data) {
				t.Fatalf("wrote %d bytes for %d read", c.out.Len(), len(data))
			}
		}
		for _, rle := range []bool{false, true} {
			framed := frame(data, rle)
			conn, _ := newTestConn(string(framed), true)
			p, err := conn.ReadPacket()
			if err != nil {
				if errors.Is(err, ErrPacketTooLong) && (len(framed) > conn.MaxPacket() || len(data) > conn.MaxPacket()) {
					continue
				}
				t.Fatalf("frame(%q, %v) = %q read back: %v", data, rle, framed, err)
			}
			if !bytes.Equal(p, data) {
				t.Fatalf("frame(%q, %v) = %q read back as %q", data, rle, framed, p)
			}
		}
	})
}

// FuzzDispatch drives the dispatcher of a session with a fake target with
// newline-separated packets: no panic, and every reply a valid frame.
func FuzzDispatch(f *testing.F) {
	for _, s := range []string{
		"QStartNoAckMode\nqSupported:multiprocess+;swbreak+;hwbreak+\n?\ng\np10\nm400000,10\nx400100,6",
		"Z0,400014,1\nvCont;c\nbc\nbs\nvCont;s:p1234.1235;c\nz0,400014,1",
		"QThreadSuffixSupported\nQListThreadsInStopReply\nqHostInfo\nqProcessInfo\nqRegisterInfo0\nqMemoryRegionInfo:400000\np10;thread:1235;",
		"qXfer:features:read:target.xml:0,fff\nqXfer:features:read:64bit-core.xml:10,20\nqXfer:auxv:read::0,8\nqXfer:libraries-svr4:read::0,1000\nqXfer:threads:read::0,10\nqXfer:siginfo:read::0,80",
		"vFile:setfs:0\nvFile:open:2f7573722f62696e2f70726f67,0,0\nvFile:pread:3,10,0\nvFile:fstat:3\nvFile:close:3",
		"qRcmd,7768656e\nqRRCmd:when:-1\nqRRCmd:checkpoint:-1:6e6f7465\nvRun;;6333\nR00\nQPassSignals:1e;0e\nc\nC0b\nS05",
		"G00\nM400000,1:90\nX400000,1:a\nQEnableErrorStrings\nP10=00\nHgp1234.1235\nHc-1\nT1235\nqThreadExtraInfo,1235\nqThreadStopInfo1235",
		"D", "k", "vKill;1234", "Hg0\nqfThreadInfo\nqsThreadInfo\nqC\nqAttached\nvCont?\nvMustReplyEmpty",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ft := newFake()
		ft.files["/usr/bin/prog"] = []byte("0123456789")
		out := &rw{in: bytes.NewReader(nil)}
		srv := New(ft, Options{PacketSize: minPacketSize})
		ss := newSession(srv, out)
		for i, p := range bytes.Split(data, []byte{'\n'}) {
			if i >= 64 {
				break
			}
			if err := ss.dispatch(p); err != nil {
				if errors.Is(err, ErrKilled) || errors.Is(err, errDetached) {
					break
				}
				t.Fatalf("dispatch %q: %v", p, err)
			}
		}
		// The replies are a sequence of valid frames within the bound.
		c := NewConn(&rw{in: bytes.NewReader(out.out.Bytes())}, ConnOptions{MaxPacket: minPacketSize})
		c.SetNoAck()
		for {
			_, err := c.ReadPacket()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.Is(err, ErrInterrupt) {
				t.Fatalf("bad reply stream: %v\n%q", err, out.out.Bytes())
			}
		}
	})
}
