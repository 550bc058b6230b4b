package gdbserver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rewind/arch"
)

// testClient speaks raw RSP to a server over net.Pipe.
type testClient struct {
	t    *testing.T
	c    net.Conn
	r    *bufio.Reader
	ack  bool // the server acks our packets
	done chan error
}

func startServer(t *testing.T, f *fakeTarget, opts Options) *testClient {
	t.Helper()
	cl, sv := net.Pipe()
	srv := New(f, opts)
	tc := &testClient{t: t, c: cl, r: bufio.NewReader(cl), ack: true, done: make(chan error, 1)}
	go func() { tc.done <- srv.Serve(sv) }()
	t.Cleanup(func() {
		cl.Close()
		select {
		case <-tc.done:
		case <-time.After(5 * time.Second):
			t.Error("server did not return after the client closed")
		}
	})
	return tc
}

// startNoAck starts a server and negotiates no-ack mode.
func startNoAck(t *testing.T, f *fakeTarget) *testClient {
	t.Helper()
	tc := startServer(t, f, Options{})
	if got := tc.exchange("QStartNoAckMode"); got != "OK" {
		t.Fatalf("QStartNoAckMode: %q", got)
	}
	tc.ack = false
	return tc
}

func checksum(p []byte) string {
	var s byte
	for _, b := range p {
		s += b
	}
	return fmt.Sprintf("%02x", s)
}

func (tc *testClient) deadline() {
	tc.c.SetDeadline(time.Now().Add(5 * time.Second))
}

func (tc *testClient) sendRaw(b []byte) {
	tc.t.Helper()
	tc.deadline()
	if _, err := tc.c.Write(b); err != nil {
		tc.t.Fatalf("write: %v", err)
	}
}

// send frames p as is (the caller escapes) and consumes the ack.
func (tc *testClient) send(p string) {
	tc.t.Helper()
	tc.sendRaw([]byte("$" + p + "#" + checksum([]byte(p))))
	if tc.ack {
		tc.expectByte('+')
	}
}

func (tc *testClient) expectByte(want byte) {
	tc.t.Helper()
	tc.deadline()
	b, err := tc.r.ReadByte()
	if err != nil || b != want {
		tc.t.Fatalf("expected %q, got %q (%v)", want, b, err)
	}
}

// recvRaw reads one packet and returns its payload as sent (escaped,
// run-length encoded).
func (tc *testClient) recvRaw() string {
	tc.t.Helper()
	tc.deadline()
	for {
		b, err := tc.r.ReadByte()
		if err != nil {
			tc.t.Fatalf("read: %v", err)
		}
		if b == '$' {
			break
		}
		if b != '+' {
			tc.t.Fatalf("unexpected byte %q between packets", b)
		}
	}
	p, err := tc.r.ReadBytes('#')
	if err != nil {
		tc.t.Fatalf("read: %v", err)
	}
	p = p[:len(p)-1]
	cs := make([]byte, 2)
	if _, err := tc.r.Read(cs[:1]); err != nil {
		tc.t.Fatal(err)
	}
	if _, err := tc.r.Read(cs[1:]); err != nil {
		tc.t.Fatal(err)
	}
	if string(cs) != checksum(p) {
		tc.t.Fatalf("reply %q: checksum %s want %s", p, cs, checksum(p))
	}
	if tc.ack {
		tc.sendRaw([]byte{'+'})
	}
	return string(p)
}

// recv reads one packet and undoes escapes and run-length encoding.
func (tc *testClient) recv() string {
	tc.t.Helper()
	raw := tc.recvRaw()
	var out []byte
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '}':
			i++
			out = append(out, raw[i]^0x20)
		case '*':
			i++
			for n := int(raw[i]) - 29; n > 0; n-- {
				out = append(out, out[len(out)-1])
			}
		default:
			out = append(out, raw[i])
		}
	}
	return string(out)
}

func (tc *testClient) exchange(p string) string {
	tc.t.Helper()
	tc.send(p)
	return tc.recv()
}

func hexs(s string) string { return hex.EncodeToString([]byte(s)) }

func unhexs(t *testing.T, s string) string {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("reply %q is not hex: %v", s, err)
	}
	return string(b)
}

func TestNoAckNegotiation(t *testing.T) {
	tc := startServer(t, newFake(), Options{})
	// Ack mode: our packet is acked, the reply is expected to be acked.
	tc.send("QStartNoAckMode")
	if got := tc.recv(); got != "OK" {
		t.Fatalf("QStartNoAckMode: %q", got)
	}
	tc.ack = false
	// No-ack mode: the server sends no '+' before its reply (recvRaw
	// would accept one, so read the first byte ourselves).
	tc.sendRaw([]byte("$qC#b4"))
	tc.expectByte('$')
	rest, _ := tc.r.ReadString('#')
	if rest != "QCp1234.1234#" && rest != "QC1234#" {
		t.Fatalf("qC: %q", rest)
	}
	tc.r.Discard(2)
}

func TestAckModeNack(t *testing.T) {
	tc := startServer(t, newFake(), Options{})
	// A corrupted packet is nacked, the resent one answered.
	tc.sendRaw([]byte("$qC#00"))
	tc.expectByte('-')
	if got := tc.exchange("qC"); got != "QC1234" {
		t.Fatalf("qC: %q", got)
	}
	// A nack of our reply makes the server send it again.
	tc.send("qC")
	first := tc.recvRaw()
	tc.sendRaw([]byte{'-'})
	if again := tc.recvRaw(); again != first {
		t.Fatalf("resent %q, first %q", again, first)
	}
}

func TestQSupported(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*fakeTarget)
		want     []string
		wantNot  []string
		clientIn string
	}{
		{"reverse", func(*fakeTarget) {}, []string{"PacketSize=20000", "QStartNoAckMode+", "qXfer:features:read+",
			"qXfer:auxv:read+", "qXfer:exec-file:read+", "qXfer:libraries-svr4:read+", "qXfer:siginfo:read+",
			"qXfer:threads:read+", "multiprocess+", "swbreak+", "hwbreak+", "vContSupported+", "QPassSignals+",
			"ReverseContinue+", "ReverseStep+"}, []string{"ConditionalBreakpoints+"}, "multiprocess+;swbreak+;hwbreak+"},
		{"no reverse, no libraries", func(f *fakeTarget) { f.reverse = false; f.noLibs = true },
			[]string{"PacketSize=20000"}, []string{"ReverseContinue+", "ReverseStep+", "qXfer:libraries-svr4:read+"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			tt.setup(f)
			tc := startNoAck(t, f)
			got := strings.Split(tc.exchange("qSupported:"+tt.clientIn), ";")
			has := map[string]bool{}
			for _, g := range got {
				has[g] = true
			}
			for _, w := range tt.want {
				if !has[w] {
					t.Errorf("qSupported lacks %q: %v", w, got)
				}
			}
			for _, w := range tt.wantNot {
				if has[w] {
					t.Errorf("qSupported has %q: %v", w, got)
				}
			}
		})
	}
}

// readXfer reads a whole qXfer object in small windows.
func (tc *testClient) readXfer(object, annex string) string {
	tc.t.Helper()
	var out string
	for {
		r := tc.exchange(fmt.Sprintf("qXfer:%s:read:%s:%x,%x", object, annex, len(out), 0x200))
		if r == "" || (r[0] != 'm' && r[0] != 'l') {
			tc.t.Fatalf("qXfer %s %s: %q", object, annex, r)
		}
		out += r[1:]
		if r[0] == 'l' {
			return out
		}
	}
}

func TestGMatchesTargetXML(t *testing.T) {
	for _, avx := range []bool{true, false} {
		t.Run(fmt.Sprintf("avx=%v", avx), func(t *testing.T) {
			f := newFake()
			f.avx = avx
			tc := startNoAck(t, f)
			type doc struct {
				Includes []struct {
					Href string `xml:"href,attr"`
				} `xml:"xi include"`
				Regs []struct {
					Name    string `xml:"name,attr"`
					Bitsize int    `xml:"bitsize,attr"`
					Regnum  int    `xml:"regnum,attr"`
				} `xml:"reg"`
			}
			var root doc
			if err := xml.Unmarshal([]byte(tc.readXfer("features", "target.xml")), &root); err != nil {
				t.Fatal(err)
			}
			total, n := 0, 0
			offsets := map[string]int{}
			regnums := map[string]int{}
			for _, inc := range root.Includes {
				var d doc
				if err := xml.Unmarshal([]byte(tc.readXfer("features", inc.Href)), &d); err != nil {
					t.Fatal(err)
				}
				for _, r := range d.Regs {
					offsets[r.Name] = total
					regnums[r.Name] = r.Regnum
					total += r.Bitsize / 8
					n++
				}
			}
			g := tc.exchange("g")
			if len(g) != 2*total {
				t.Fatalf("g is %d hex chars, the XML's registers total %d bytes", len(g), total)
			}
			if avx != (n == 76) {
				t.Errorf("%d registers with avx=%v", n, avx)
			}
			// p agrees with g at each register's offset and number.
			for _, name := range []string{"rax", "rip", "eflags", "xmm0", "fs_base"} {
				p := tc.exchange(fmt.Sprintf("p%x", regnums[name]))
				if got := g[2*offsets[name] : 2*offsets[name]+len(p)]; got != p {
					t.Errorf("%s: p %s, g has %s", name, p, got)
				}
			}
			if e := tc.exchange(fmt.Sprintf("p%x", n)); !strings.HasPrefix(e, "E") {
				t.Errorf("p past the last register: %q", e)
			}
		})
	}
}

func TestRegistersAndThreads(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	tc.exchange("qSupported:multiprocess+;swbreak+")
	tests := []struct{ send, want string }{
		{"qC", "QCp1234.1234"},
		{"qfThreadInfo", "mp1234.1234,p1234.1235"},
		{"qsThreadInfo", "l"},
		{"qAttached", "1"},
		{"qAttached:1234", "1"},
		{"?", "T05thread:p1234.1234;core:0;"},
		{"p10", "0000400000000000"},                   // rip
		{"p0;thread:p1234.1235;", "3512000000000000"}, // rax = tid in the fake
		{"Hgp1234.1235", "OK"},
		{"p0", "3512000000000000"},
		{"Hgp0.0", "OK"},
		{"p0", "3412000000000000"},
		{"Hg999", "E01"},
		{"Tp1234.1235", "OK"},
		{"T999", "E01"},
		{"Hcp-1.-1", "OK"},
		{"qThreadExtraInfo,p1234.1235", hexs("tid 4661")},
		{"qOffsets", ""},
		{"qSymbol::", "OK"},
		{"qTStatus", ""},
		{"vMustReplyEmpty", ""},
		{"qThreadStopInfo1235", "T00thread:p1234.1235;core:0;"},
		{"qThreadStopInfo1234", "T05thread:p1234.1234;core:0;"},
		{"jThreadsInfo", ""},
	}
	for _, tt := range tests {
		if got := tc.exchange(tt.send); got != tt.want {
			t.Errorf("%s: have %q want %q", tt.send, got, tt.want)
		}
	}
}

func TestMemory(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	addr := uint64(fakeBase + 0x10)
	if got := tc.exchange(fmt.Sprintf("Z0,%x,1", addr)); got != "OK" {
		t.Fatalf("Z0: %q", got)
	}
	if f.mem[0x10] != 0xcc {
		t.Fatal("fake did not insert the breakpoint")
	}
	tests := []struct{ send, want string }{
		// The breakpoint is hidden: original bytes.
		{fmt.Sprintf("m%x,4", addr), "10111213"},
		{"x0,0", "OK"},
		{fmt.Sprintf("x%x,6", fakeBase+0x100), "$#}*\x03x"},
		{fmt.Sprintf("x%x,2", addr), "\x10\x11"},
		// Reads past the end of the mapping are cut short.
		{fmt.Sprintf("m%x,10", fakeBase+0xffe), "feff"},
		{"m10,4", "E0e"},
		{"mzz,4", "E16"},
		{"m400000", "E16"},
		{"m400000,", "E16"},
		{"x1,4", "E0e"},
		{fmt.Sprintf("z0,%x,1", addr), "OK"},
		{"Z1,400000,1", ""}, // hardware breakpoints unsupported by the fake
		{"Z2,400010,4", "OK"},
		{"z2,400010,4", "OK"},
		{"Z9,0,0", ""},
		{"Z0,zz,1", "E16"},
		{"Z0", "E16"},
	}
	for _, tt := range tests {
		if got := tc.exchange(tt.send); got != tt.want {
			t.Errorf("%s: have %q want %q", tt.send, got, tt.want)
		}
	}
	if f.mem[0x10] != 0x10 || len(f.bps[BreakSoftware]) != 0 {
		t.Errorf("z0 did not remove the breakpoint")
	}
	// The x reply escapes '$', '#', '}' and '*'.
	tc.send(fmt.Sprintf("x%x,6", fakeBase+0x100))
	if raw := tc.recvRaw(); raw != "}\x04}\x03}]}\x0a\x03x" {
		t.Errorf("x raw reply %q", raw)
	}
	// A large m is cut to what fits in a packet.
	tc.send(fmt.Sprintf("m%x,100000", fakeBase))
	if got := tc.recv(); len(got) != 2*4096 {
		t.Errorf("m of the whole image: %d hex chars", len(got))
	}
}

func TestResume(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	tc.exchange("qSupported:multiprocess+;swbreak+;hwbreak+")
	bp := f.timeline[5]
	tc.exchange(fmt.Sprintf("Z0,%x,1", bp))
	steps := []struct{ send, want string }{
		{"vCont?", "vCont;c;C;s;S"},
		{"vCont;c", "T05thread:p1234.1234;core:0;swbreak:;"},
		{"p10", hex.EncodeToString(le64(bp))},
		{"vCont;s:p1234.1234", "T05thread:p1234.1234;core:0;"},
		{"bs", "T05thread:p1234.1234;core:0;swbreak:;"}, // back onto the breakpoint
		{"bc", "T00thread:p1234.1234;core:0;replaylog:begin;"},
		{"c", "T05thread:p1234.1234;core:0;swbreak:;"},
		{"s", "T05thread:p1234.1234;core:0;"},
		{"vCont;c:p1234.-1", "T09thread:p1234.1234;core:0;replaylog:end;"},
		{"vCont;t", "E16"},
		{"vCont;x", "E16"},
		{"vCont", "E16"},
		{"c400000", "E0d"},
		{"Cz", "E16"},
	}
	for _, tt := range steps {
		if got := tc.exchange(tt.send); got != tt.want {
			t.Errorf("%s: have %q want %q", tt.send, got, tt.want)
		}
	}
	// The step went to the thread the client named.
	last := func() Action { return f.resumes[len(f.resumes)-1] }
	tc.exchange("vCont;s:p1234.1235;c")
	if a := last(); !a.Step || a.Tid != 0x1235 || a.Dir != Forward {
		t.Errorf("vCont;s:p1234.1235;c resumed %+v", a)
	}
	tc.exchange("Hc1235")
	tc.exchange("bs")
	if a := last(); !a.Step || a.Tid != 0x1235 || a.Dir != Reverse {
		t.Errorf("Hc1235 bs resumed %+v", a)
	}
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b
}

func TestReverseUnsupported(t *testing.T) {
	f := newFake()
	f.reverse = false
	tc := startNoAck(t, f)
	tc.exchange("QEnableErrorStrings")
	got := tc.exchange("bc")
	msg, ok := strings.CutPrefix(got, "E01;")
	if !ok || !strings.Contains(unhexs(t, msg), ErrReverseUnsupported.Error()) {
		t.Errorf("bc without reverse: %q", got)
	}
}

func TestSignalNumbering(t *testing.T) {
	const sigUSR1 = 10
	for _, tt := range []struct {
		name, setup, want string
		sendSig, wantSig  string
	}{
		{"gdb", "qSupported:multiprocess+", "T1ethread:p1234.1234;core:0;", "C1e", "a"},
		{"lldb", "QThreadSuffixSupported", "T0athread:1234;core:0;", "C0a", "a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.signalAt[3] = sigUSR1
			tc := startNoAck(t, f)
			tc.exchange(tt.setup)
			if got := tc.exchange("c"); got != tt.want {
				t.Errorf("stop at SIGUSR1: have %q want %q", got, tt.want)
			}
			tc.exchange(tt.sendSig)
			if a := f.resumes[len(f.resumes)-1]; a.Signal != sigUSR1 {
				t.Errorf("%s delivered signal %d", tt.sendSig, a.Signal)
			}
		})
	}
	for sig := 1; sig < 128; sig++ {
		if back := fromGDBSignal(toGDBSignal(sig)); back != sig && sig != 16 {
			t.Errorf("signal %d -> gdb %d -> %d", sig, toGDBSignal(sig), back)
		}
	}
}

func TestPassSignals(t *testing.T) {
	f := newFake()
	f.signalAt[3] = 10 // SIGUSR1, gdb's 0x1e
	tc := startNoAck(t, f)
	tc.exchange("qSupported:multiprocess+;swbreak+")
	if got := tc.exchange("QPassSignals:1e;0e"); got != "OK" {
		t.Fatalf("QPassSignals: %q", got)
	}
	if got := tc.exchange("c"); got != "T09thread:p1234.1234;core:0;replaylog:end;" {
		t.Errorf("continue past a passed signal: %q", got)
	}
	if a := f.resumes[1]; a.Signal != 10 {
		t.Errorf("passed signal not delivered: %+v", f.resumes)
	}
}

func TestInterrupt(t *testing.T) {
	f := newFake()
	f.hang = true
	tc := startNoAck(t, f)
	tc.exchange("qSupported:multiprocess+")
	tc.send("vCont;c")
	time.Sleep(50 * time.Millisecond) // let Resume start
	start := time.Now()
	tc.sendRaw([]byte{0x03})
	if got := tc.recv(); got != "T02thread:p1234.1234;core:0;" {
		t.Fatalf("stop after interrupt: %q", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("interrupt took %v", d)
	}
	// A late ^C while stopped is ignored; the session goes on.
	tc.sendRaw([]byte{0x03})
	if got := tc.exchange("qC"); got != "QCp1234.1234" {
		t.Errorf("after a late interrupt: %q", got)
	}
}

func TestInterruptRightAfterResume(t *testing.T) {
	f := newFake()
	f.hang = true
	tc := startNoAck(t, f)
	// The interrupt follows the packet at once, before Resume may start.
	p := "vCont;c"
	tc.sendRaw([]byte("$" + p + "#" + checksum([]byte(p)) + "\x03"))
	if got := tc.recv(); !strings.HasPrefix(got, "T02") {
		t.Fatalf("stop: %q", got)
	}
}

func TestWritesRefused(t *testing.T) {
	tc := startNoAck(t, newFake())
	writes := []string{"G" + strings.Repeat("00", 16), "P10=0000000000000000", "M400000,1:90", "X400000,1:\x90",
		"QSaveRegisterState", "qXfer:siginfo:write::0:00"}
	for _, w := range writes {
		if got := tc.exchange(w); got != "E0d" {
			t.Errorf("%q: %q", w, got)
		}
	}
	tc.exchange("QEnableErrorStrings")
	got := tc.exchange("M400000,1:90")
	msg, ok := strings.CutPrefix(got, "E0d;")
	if !ok || !strings.Contains(unhexs(t, msg), "refused during replay") {
		t.Errorf("M with error strings: %q", got)
	}
}

func TestUnknownAndMalformed(t *testing.T) {
	tc := startNoAck(t, newFake())
	tests := []struct{ send, want string }{
		{"qNoSuchThing", ""},
		{"vNoSuchThing", ""},
		{"Jxyz", ""},
		{"Qxyz", ""},
		{"bx", ""},
		{"pzz", "E16"},
		{"p", "E16"},
		{"H", "E16"},
		{"Hgzz", "E16"},
		{"Hx1", "E16"},
		{"qRcmd,zz", "E16"},
		{"qRcmd,6", "E16"},
		{"qXfer:features:read:target.xml:zz", "E16"},
		{"qXfer:features:read:nosuch.xml:0,10", "E01"},
		{"qXfer:nosuch:read::0,10", ""},
		{"qXfer:auxv", "E16"},
		{"qRegisterInfozz", "E16"},
		{"qMemoryRegionInfo:zz", "E16"},
		{"vRun;zz", "E16"},
		{"qRRCmd", "E16"},
		{"qRRCmd:when:-1:zz", "E16"},
		{"vCont;Czz", "E16"},
		{"vCont;c:pzz.1", "E16"},
		{"g;thread:zz;", "E16"},
		{"gjunk", "E16"},
		{"QPassSignals:zz", "E16"},
		{"QNonStop:1", "E01"},
		{"vAttach;1", "E01"},
	}
	for _, tt := range tests {
		if got := tc.exchange(tt.send); got != tt.want {
			t.Errorf("%q: have %q want %q", tt.send, got, tt.want)
		}
	}
	// Empty packet.
	tc.sendRaw([]byte("$#00"))
	if got := tc.recv(); got != "" {
		t.Errorf("empty packet: %q", got)
	}
}

func TestOversizedPacket(t *testing.T) {
	f := newFake()
	cl, sv := net.Pipe()
	srv := New(f, Options{PacketSize: 0x1000})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sv) }()
	defer func() { cl.Close(); <-done }()
	tc := &testClient{t: t, c: cl, r: bufio.NewReader(cl), ack: true}
	tc.exchange("QStartNoAckMode")
	tc.ack = false
	big := "X400000,10000:" + strings.Repeat("A", 0x10000)
	// Write concurrently: net.Pipe blocks until the server reads it all.
	go cl.Write([]byte("$" + big + "#" + checksum([]byte(big))))
	if got := tc.recv(); got != "E07" {
		t.Fatalf("oversized packet: %q", got)
	}
	// Run-length encoding that expands past the limit.
	rle := "qC" + strings.Repeat("a*~", 100)
	if got := tc.exchange(rle); got != "E07" {
		t.Fatalf("oversized after RLE: %q", got)
	}
	if got := tc.exchange("qC"); got != "QC1234" {
		t.Fatalf("after oversized packets: %q", got)
	}
}

func TestXfer(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	tc.exchange("qSupported:multiprocess+")
	tests := []struct{ send, want string }{
		{"qXfer:exec-file:read::0,100", "l/usr/bin/prog"},
		{"qXfer:exec-file:read:1234:0,4", "m/usr"},
		{"qXfer:exec-file:read:1234:4,100", "l/bin/prog"},
		{"qXfer:exec-file:read:1234:100,100", "l"},
		{"qXfer:auxv:read::0,8", "m\x09\x00\x00\x00\x00\x00\x00\x00"},
		{"qXfer:libraries-svr4:read::0,1000", `l<library-list-svr4 version="1.0" main-lm="0x7f0000003000"><library name="/lib/x86_64-linux-gnu/libc.so.6" lm="0x7f0000001000" l_addr="0x7f0000000000" l_ld="0x7f0000200000" lmid="0x0"/></library-list-svr4>`},
		{"qXfer:threads:read::0,1000", "l<?xml version=\"1.0\"?>\n<threads>\n<thread id=\"p1234.1234\" core=\"0\"/>\n<thread id=\"p1234.1235\" core=\"0\"/>\n</threads>\n"},
		{"qXfer:siginfo:read::0,1000", "l" + strings.Repeat("\x00", 128)},
	}
	for _, tt := range tests {
		if got := tc.exchange(tt.send); got != tt.want {
			t.Errorf("%q: have %q want %q", tt.send, got, tt.want)
		}
	}
}

func TestVFile(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	path := hexs("/usr/bin/prog")
	tests := []struct{ send, want string }{
		{"vFile:setfs:0", "F0"},
		{"vFile:open:" + path + ",0,0", "F3"},
		{"vFile:pread:3,4,0", "F4;\x7fELF"},
		{"vFile:pread:3,100,5", "F15;fake program contents"},
		{"vFile:pread:3,100,1000", "F0;"},
		{"vFile:pread:9,4,0", "F-1,9"},
		{"vFile:open:" + hexs("/nosuch") + ",0,0", "F-1,2"},
		{"vFile:open:" + path + ",1,0", "F-1,1e"},
		{"vFile:open:" + path + ",601,1ff", "F-1,1e"},
		{"vFile:pwrite:3,0,x", "F-1,1e"},
		{"vFile:size:" + path, "F1a"},
		{"vFile:exists:" + path, "F,1"},
		{"vFile:exists:" + hexs("/nosuch"), "F,0"},
		{"vFile:mode:" + path, fmt.Sprintf("F%x", 0o100755)},
		{"vFile:readlink:" + path, ""},
		{"vFile:open:zz,0,0", "F-1,16"},
	}
	for _, tt := range tests {
		if got := tc.exchange(tt.send); got != tt.want {
			t.Errorf("%q: have %q want %q", tt.send, got, tt.want)
		}
	}
	st := tc.exchange("vFile:fstat:3")
	data, ok := strings.CutPrefix(st, "F40;")
	if !ok || len(data) != 64 {
		t.Fatalf("fstat: %q", st)
	}
	be := binary.BigEndian
	if mode := be.Uint32([]byte(data[8:])); mode != 0o100755 {
		t.Errorf("fstat mode %o", mode)
	}
	if size := be.Uint64([]byte(data[28:])); size != 26 {
		t.Errorf("fstat size %d", size)
	}
	if mt := be.Uint32([]byte(data[56:])); mt != 1700000000 {
		t.Errorf("fstat mtime %d", mt)
	}
	if got := tc.exchange("vFile:close:3"); got != "F0" {
		t.Errorf("close: %q", got)
	}
	if got := tc.exchange("vFile:close:3"); got != "F-1,9" {
		t.Errorf("second close: %q", got)
	}
}

func TestMonitor(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	tc.send("qRcmd," + hexs("when"))
	var out string
	for {
		r := tc.recv()
		if r == "OK" {
			break
		}
		if r == "" || r[0] != 'O' {
			t.Fatalf("qRcmd reply %q", r)
		}
		out += unhexs(t, r[1:])
	}
	if out != "Completed event: 0\n" {
		t.Errorf("monitor when: %q", out)
	}
	// Long output is split in packets that fit.
	tc.send("qRcmd," + hexs("long"))
	out = ""
	packets := 0
	for r := tc.recv(); r != "OK"; r = tc.recv() {
		out += unhexs(t, r[1:])
		packets++
	}
	if len(out) != 100000 || packets < 2 {
		t.Errorf("long output: %d bytes in %d packets", len(out), packets)
	}
	// Errors are shown as output.
	tc.send("qRcmd," + hexs("bogus"))
	if r := tc.recv(); !strings.Contains(unhexs(t, r[1:]), "unknown command") {
		t.Errorf("error output %q", r)
	}
	if r := tc.recv(); r != "OK" {
		t.Errorf("after error output: %q", r)
	}

	rr := []struct{ send, want, cmd string }{
		{"qRRCmd:when:-1", "Completed event: 0\n", "when"},
		{"qRRCmd:checkpoint:-1:" + hexs("note"), "Checkpoint 1 at event 0 (note)\n", "checkpoint note"},
		{"qRRCmd:" + hexs("when"), "Completed event: 0\n", "when"}, // pre-5.8 style
		{"qRRCmd:when", "Completed event: 0\n", "when"},
	}
	for _, tt := range rr {
		got := tc.exchange(tt.send)
		if unhexs(t, got) != tt.want {
			t.Errorf("%s: %q", tt.send, unhexs(t, got))
		}
		if c := f.monitor[len(f.monitor)-1]; c != tt.cmd {
			t.Errorf("%s: Monitor(%q), want %q", tt.send, c, tt.cmd)
		}
	}
	if got := tc.exchange("qRRCmd:bogus:-1"); got != "E01" {
		t.Errorf("unknown qRRCmd: %q", got)
	}
}

func TestLLDBQueries(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	tests := []struct{ send, want string }{
		{"QThreadSuffixSupported", "OK"},
		{"QListThreadsInStopReply", "OK"},
		{"qHostInfo", "triple:" + hexs("x86_64-pc-linux-gnu") + ";ptrsize:8;endian:little;ostype:linux;vendor:pc;watchpoint_exceptions_received:after;"},
		{"qProcessInfo", "pid:1234;triple:" + hexs("x86_64-pc-linux-gnu") + ";ostype:linux;endian:little;ptrsize:8;name:" + hexs("/usr/bin/prog") + ";"},
		{"?", "T05thread:1234;core:0;threads:1234,1235;thread-pcs:400000,400000;"},
		{"qRegisterInfo0", "name:rax;bitsize:64;offset:0;encoding:uint;format:hex;set:General Purpose Registers;gcc:0;dwarf:0;"},
		{"qRegisterInfo10", "name:rip;bitsize:64;offset:128;encoding:uint;format:hex;set:General Purpose Registers;gcc:16;dwarf:16;generic:pc;"},
		{"qRegisterInfo4c", "E45"},
		{"qMemoryRegionInfo:400010", "start:400000;size:1000;permissions:rx;name:" + hexs("/usr/bin/prog") + ";"},
		{"qMemoryRegionInfo:10", "start:0;size:400000;"},
		{"p10;thread:1235;", "0000400000000000"},
		{"qShlibInfoAddr", ""},
		{"QEnableErrorStrings", "OK"},
		{"jThreadsInfo", ""},
	}
	for _, tt := range tests {
		if got := tc.exchange(tt.send); got != tt.want {
			t.Errorf("%q: have %q want %q", tt.send, got, tt.want)
		}
	}
}

// TestDelveHandshake replays what Delve's gdbserial sends to rr.
func TestDelveHandshake(t *testing.T) {
	f := newFake()
	tc := startServer(t, f, Options{})
	tc.sendRaw([]byte{'+'})
	tc.exchange("QStartNoAckMode")
	tc.ack = false
	if got := tc.exchange("QThreadSuffixSupported"); got != "OK" {
		t.Fatal(got)
	}
	sup := tc.exchange("qSupported:swbreak+;hwbreak+;no-resumed+;xmlRegisters=i386")
	if !strings.Contains(sup, "PacketSize=") {
		t.Fatal(sup)
	}
	for n := 0; ; n++ {
		r := tc.exchange(fmt.Sprintf("qRegisterInfo%x", n))
		if strings.HasPrefix(r, "E") {
			if n != 76 {
				t.Errorf("qRegisterInfo ended at %d", n)
			}
			break
		}
	}
	tc.exchange("QListThreadsInStopReply")
	if got := tc.exchange("x0,0"); got != "OK" {
		t.Errorf("x0,0: %q", got)
	}
	if got := tc.exchange("qfThreadInfo"); got != "m1234,1235" {
		t.Errorf("qfThreadInfo without multiprocess: %q", got)
	}
	if g := tc.exchange("g;thread:1234;"); len(g) != 2*arch.GDBRegisterBytes(true) {
		t.Errorf("g: %d chars", len(g))
	}
	tc.exchange("Hcp-1.-1")
	if got := tc.exchange("bc"); got != "T00thread:1234;core:0;replaylog:begin;threads:1234,1235;thread-pcs:400000,400000;" {
		t.Errorf("bc: %q", got)
	}
	if got := tc.exchange("qRRCmd:when:-1"); unhexs(t, got) != "Completed event: 0\n" {
		t.Errorf("when: %q", got)
	}
	if got := tc.exchange("vRun;;" + hexs("c3")); !strings.HasPrefix(got, "T05thread:1234;") {
		t.Errorf("vRun: %q", got)
	}
	if f.restarts[0] != "c3" || f.position() != 3 {
		t.Errorf("restart args %q, position %d", f.restarts, f.position())
	}
	tc.send("k")
	if got := tc.recv(); got != "X09" {
		t.Errorf("k: %q", got)
	}
	if err := <-tc.done; !errors.Is(err, ErrKilled) {
		t.Errorf("Serve after k: %v", err)
	}
	tc.done <- nil // for the cleanup
}

func TestRestartAndExit(t *testing.T) {
	f := newFake()
	tc := startNoAck(t, f)
	tc.exchange("qSupported:multiprocess+")
	if got := tc.exchange("vRun;" + hexs("/usr/bin/prog") + ";" + hexs("7")); got != "T05thread:p1234.1234;core:0;" {
		t.Errorf("vRun: %q", got)
	}
	if f.restarts[0] != "7" {
		t.Errorf("restart %q", f.restarts)
	}
	if got := tc.exchange("vRun;;" + hexs("c99")); got != "E01" {
		t.Errorf("vRun to a missing checkpoint: %q", got)
	}
	tc.send("R00") // no reply
	if got := tc.exchange("qC"); got != "QCp1234.1234" || f.restarts[len(f.restarts)-1] != "" {
		t.Errorf("after R: %q %q", got, f.restarts)
	}
	// An exit is reported with W and the session goes on.
	s := &session{srv: New(f, Options{}), t: f, multiprocess: true}
	if got := s.stopReply(Stop{Kind: StopExited, Status: 3}); got != "W03;process:1234" {
		t.Errorf("exit: %q", got)
	}
	if got := s.stopReply(Stop{Kind: StopKilled, Signal: 11}); got != "X0b;process:1234" {
		t.Errorf("killed: %q", got)
	}
	s.swbreak, s.hwbreak = true, true
	for _, tt := range []struct {
		st   Stop
		want string
	}{
		{Stop{Kind: StopHWBreak, Tid: 1, Signal: 5}, "T05thread:p1234.1;core:0;hwbreak:;"},
		{Stop{Kind: StopWatch, Tid: 1, Signal: 5, Addr: 0x1000}, "T05thread:p1234.1;core:0;watch:1000;"},
		{Stop{Kind: StopRWatch, Tid: 1, Signal: 5, Addr: 0x1000}, "T05thread:p1234.1;core:0;rwatch:1000;"},
		{Stop{Kind: StopAWatch, Tid: 1, Signal: 5, Addr: 0x1000}, "T05thread:p1234.1;core:0;awatch:1000;"},
	} {
		if got := s.stopReply(tt.st); got != tt.want {
			t.Errorf("%v: have %q want %q", tt.st.Kind, got, tt.want)
		}
	}
}

func TestDetach(t *testing.T) {
	tc := startNoAck(t, newFake())
	tc.send("D")
	if got := tc.recv(); got != "OK" {
		t.Errorf("D: %q", got)
	}
	if err := <-tc.done; err != nil {
		t.Errorf("Serve after D: %v", err)
	}
	tc.done <- nil
}

func TestVKill(t *testing.T) {
	tc := startNoAck(t, newFake())
	tc.send("vKill;1234")
	if got := tc.recv(); got != "OK" {
		t.Errorf("vKill: %q", got)
	}
	// extended-remote: the session goes on (gdb restarts with vRun next).
	if got := tc.exchange("_M1000,rwx"); got != "" {
		t.Errorf("_M after vKill: %q, want empty (unsupported)", got)
	}
	tc.send("D")
	if got := tc.recv(); got != "OK" {
		t.Errorf("D: %q", got)
	}
	if err := <-tc.done; err != nil {
		t.Errorf("Serve after D: %v", err)
	}
	tc.done <- nil
}

func TestServeListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback: %v", err)
	}
	f := newFake()
	srv := New(f, Options{})
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ln, true) }()

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
	// A second client is closed without a reply.
	second := dial()
	second.deadline()
	second.c.Write([]byte("$qC#b4"))
	if b, err := second.r.ReadByte(); err == nil {
		t.Errorf("second client got %q", b)
	}
	second.c.Close()
	// After the first detaches, a new client is served (keep=true).
	first.send("D")
	first.recv()
	first.c.Close()
	var third *testClient
	for i := 0; i < 50; i++ {
		third = dial()
		third.deadline()
		third.c.Write([]byte("$qC#b4"))
		if b, err := third.r.ReadByte(); err == nil && b == '+' {
			break
		}
		third.c.Close()
		third = nil
		time.Sleep(20 * time.Millisecond)
	}
	if third == nil {
		t.Fatal("no client served after the first detached")
	}
	if got := third.recv(); got != "QC1234" {
		t.Errorf("third client: %q", got)
	}
	third.send("k")
	third.recv()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener did not return after k")
	}
}

func TestServeListenerOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback: %v", err)
	}
	srv := New(newFake(), Options{})
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ln, false) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener(keep=false) did not return after the client left")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still open")
	}
}

func TestWireLogAndRLE(t *testing.T) {
	var log bytes.Buffer
	f := newFake()
	cl, sv := net.Pipe()
	srv := New(f, Options{RLE: true, WireLog: &log})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sv) }()
	tc := &testClient{t: t, c: cl, r: bufio.NewReader(cl), ack: true}
	tc.exchange("QStartNoAckMode")
	tc.ack = false
	tc.send("g")
	raw := tc.recvRaw()
	if !strings.Contains(raw, "*") || len(raw) >= 2*arch.GDBRegisterBytes(true) {
		t.Errorf("g not run-length encoded: %d chars", len(raw))
	}
	tc.c.Close()
	<-done
	if !strings.Contains(log.String(), `-> "QStartNoAckMode"`) || !strings.Contains(log.String(), `<- "OK"`) {
		t.Errorf("wire log:\n%s", log.String())
	}
}

func TestThreadIDParse(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1234", 0x1234, true}, {"p1.2", 2, true}, {"p1", -1, true}, {"-1", -1, true}, {"0", 0, true},
		{"p-1.-1", -1, true}, {"p0.0", 0, true}, {"", 0, false}, {"pz.1", 0, false}, {"p1.z", 0, false},
		{strconv.Itoa(1 << 40), 0, false},
	}
	for _, tt := range tests {
		got, err := parseThreadID(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseThreadID(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// lockedWriter serializes writes from the server's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
