package gdbserver

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rewind/arch"
)

// Options configures a Server.
type Options struct {
	// PacketSize is the largest packet accepted and sent (advertised in
	// qSupported); 0 means DefaultPacketSize.
	PacketSize int
	// RLE run-length encodes text replies.
	RLE bool
	// WireLog, when set, receives every packet sent and received.
	WireLog io.Writer
	// Log receives session events (connections, refused clients, target
	// errors); nil discards them.
	Log *log.Logger
}

// busyGrace is how long a new client waits for the previous session to end.
const busyGrace = time.Second

// Server serves one Target to debuggers, one client at a time. The stop
// position is kept across sessions, so a client that reconnects after a
// detach sees where the last one left off.
type Server struct {
	t    Target
	opts Options
	log  *log.Logger

	active atomic.Bool

	mu       sync.Mutex
	stop     Stop
	haveStop bool
}

// New returns a server for t.
func New(t Target, opts Options) *Server {
	l := opts.Log
	if l == nil {
		l = log.New(io.Discard, "", 0)
	}
	return &Server{t: t, opts: opts, log: l}
}

func (s *Server) lastStop() Stop {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.haveStop {
		tid := 0
		if th := s.t.Threads(); len(th) > 0 {
			tid = th[0]
		}
		return Stop{Kind: StopSignal, Tid: tid, Signal: sigTRAP}
	}
	return s.stop
}

func (s *Server) setStop(st Stop) {
	s.mu.Lock()
	s.stop, s.haveStop = st, true
	s.mu.Unlock()
}

// errDetached ends a session normally (D).
var errDetached = errors.New("detached")

// Serve runs one client session on conn and closes it. It returns nil when
// the client detaches or disconnects, ErrKilled when it killed the target,
// ErrBusy (without reading or writing anything) when another session is
// active, or the connection's error.
func (s *Server) Serve(conn net.Conn) error {
	// A client that detached and reconnects at once may find its old
	// session still closing: give that a moment before refusing.
	for deadline := time.Now().Add(busyGrace); !s.active.CompareAndSwap(false, true); {
		if time.Now().After(deadline) {
			conn.Close()
			return ErrBusy
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer s.active.Store(false)
	defer conn.Close()
	s.log.Printf("gdbserver: client %s connected", conn.RemoteAddr())
	ss := newSession(s, conn)
	err := ss.run()
	conn.Close()
	ss.closeFiles()
	switch {
	case err == nil || errors.Is(err, errDetached):
		s.log.Printf("gdbserver: client %s left", conn.RemoteAddr())
		return nil
	case errors.Is(err, ErrKilled):
		s.log.Printf("gdbserver: client %s killed the target", conn.RemoteAddr())
		return ErrKilled
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		s.log.Printf("gdbserver: client %s disconnected", conn.RemoteAddr())
		return nil
	}
	s.log.Printf("gdbserver: client %s: %v", conn.RemoteAddr(), err)
	return err
}

// ServeListener accepts clients on ln and serves them one at a time. A
// client that connects while another is served is closed at once (and
// logged). With keep false it returns after the first session; with keep
// true it goes on accepting after a client detaches or disconnects, and
// returns when a client kills the target or ln fails. It closes ln.
func (s *Server) ServeListener(ln net.Listener, keep bool) error {
	defer ln.Close()
	type result struct{ err error }
	sessions := make(chan result, 1)
	acceptErr := make(chan error, 1)
	var served atomic.Bool
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				acceptErr <- err
				return
			}
			if !keep && served.Load() {
				why := "the session is over"
				if s.active.Load() {
					why = ErrBusy.Error()
				}
				s.log.Printf("gdbserver: refused client %s: %s", c.RemoteAddr(), why)
				c.Close()
				continue
			}
			go func() {
				if !keep && !served.CompareAndSwap(false, true) {
					s.log.Printf("gdbserver: refused client %s: %v", c.RemoteAddr(), ErrBusy)
					c.Close()
					return
				}
				err := s.Serve(c)
				if errors.Is(err, ErrBusy) {
					s.log.Printf("gdbserver: refused client %s: %v", c.RemoteAddr(), err)
					return
				}
				sessions <- result{err}
			}()
		}
	}()
	for {
		select {
		case r := <-sessions:
			if !keep || errors.Is(r.err, ErrKilled) {
				ln.Close()
				<-acceptErr
				if errors.Is(r.err, ErrKilled) {
					return nil
				}
				return r.err
			}
		case err := <-acceptErr:
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
	}
}

// event is one thing read from the client.
type event struct {
	pkt []byte
	err error
}

// session is the state of one client connection.
type session struct {
	srv *Server
	t   Target
	c   *Conn

	// killed: the client sent vKill; no threads until a vRun succeeds.
	killed bool

	events  chan event // nil when driven directly (tests, fuzzing)
	quit    chan struct{}
	pending []event

	// Negotiated with the client.
	multiprocess bool // thread ids as p<pid>.<tid>
	swbreak      bool
	hwbreak      bool
	threadSuffix bool // lldb ;thread: suffixes
	listThreads  bool // threads:/thread-pcs: in stop replies
	errorStrings bool // Exx;<hex text>
	linuxSignals bool // signal numbers as Linux (lldb, Delve) not gdb's

	gThread, cThread int // H selections: 0 any, -1 all
	passSignals      map[int]bool

	files  map[int]File
	nextFD int
}

func newSession(s *Server, rw io.ReadWriter) *session {
	return &session{
		srv: s,
		t:   s.t,
		c: NewConn(rw, ConnOptions{MaxPacket: s.opts.PacketSize, RLE: s.opts.RLE,
			Log: s.opts.WireLog}),
		files:  map[int]File{},
		nextFD: 3,
	}
}

// threads lists the target's threads, none after the client killed it.
func (ss *session) threads() []int {
	if ss.killed {
		return nil
	}
	return ss.t.Threads()
}

func (ss *session) closeFiles() {
	for fd, f := range ss.files {
		f.Close()
		delete(ss.files, fd)
	}
}

// run reads packets and dispatches them until the session ends.
func (ss *session) run() error {
	ss.events = make(chan event, 16)
	ss.quit = make(chan struct{})
	defer close(ss.quit)
	go func() {
		defer close(ss.events)
		for {
			p, err := ss.c.ReadPacket()
			ev := event{err: err}
			if p != nil {
				ev.pkt = append([]byte(nil), p...)
			}
			select {
			case ss.events <- ev:
			case <-ss.quit:
				return
			}
			if err != nil && !Recoverable(err) {
				return
			}
		}
	}()
	for {
		var ev event
		if len(ss.pending) > 0 {
			ev, ss.pending = ss.pending[0], ss.pending[1:]
		} else {
			var ok bool
			if ev, ok = <-ss.events; !ok {
				return nil
			}
		}
		if err := ss.handle(ev); err != nil {
			return err
		}
	}
}

// handle processes one event while the target is stopped.
func (ss *session) handle(ev event) error {
	if ev.err != nil {
		switch {
		case errors.Is(ev.err, ErrInterrupt):
			// The target is not running: nothing to interrupt (a late ^C).
			return nil
		case Recoverable(ev.err):
			ss.srv.log.Printf("gdbserver: %v", ev.err)
			return ss.replyErr(ev.err)
		}
		return ev.err
	}
	return ss.dispatch(ev.pkt)
}

func (ss *session) reply(s string) error { return ss.c.WriteString(s) }

// errCode picks the number of an Exx reply.
func errCode(err error) int {
	switch {
	case errors.Is(err, ErrNoThread):
		return 0x01
	case errors.Is(err, ErrWriteRefused):
		return 0x0d // EACCES
	case errors.Is(err, ErrExited):
		return 0x03 // ESRCH
	case errors.Is(err, errMemory):
		return 0x0e // EFAULT
	case errors.Is(err, ErrPacketTooLong):
		return 0x07 // E2BIG
	case errors.Is(err, errMalformed), errors.Is(err, ErrChecksum), errors.Is(err, ErrBadEncoding):
		return 0x16 // EINVAL
	}
	return 0x01
}

// replyErr sends Exx, with the message hex-encoded after a ';' when the
// client enabled error strings (lldb's QEnableErrorStrings).
func (ss *session) replyErr(err error) error {
	if ss.errorStrings {
		return ss.reply(fmt.Sprintf("E%02x;%s", errCode(err), hexString(err.Error())))
	}
	return ss.reply(fmt.Sprintf("E%02x", errCode(err)))
}

var (
	errMalformed = errors.New("malformed packet")
	errMemory    = errors.New("cannot access memory")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
}

// dispatch answers one packet. It returns an error only when the session
// must end (write failure, kill, detach).
func (ss *session) dispatch(p []byte) error {
	if len(p) == 0 {
		return ss.reply("")
	}
	s := string(p)
	switch p[0] {
	case '?':
		return ss.replyStop(ss.srv.lastStop())
	case '!':
		return ss.reply("OK")
	case 'g':
		return ss.readRegisters(s[1:])
	case 'p':
		return ss.readRegister(s[1:])
	case 'P':
		return ss.writeRegister(string(p[1:]))
	case 'G', 'M', 'X':
		return ss.replyErr(ErrWriteRefused)
	case 'm':
		return ss.readMemory(s[1:], false)
	case 'x':
		return ss.readMemory(s[1:], true)
	case 'Z', 'z':
		return ss.breakpoint(s)
	case 'H':
		return ss.setThread(s[1:])
	case 'T':
		return ss.threadAlive(s[1:])
	case 'c', 'C', 's', 'S':
		return ss.simpleResume(s)
	case 'b':
		switch s {
		case "bc":
			return ss.resume(Action{Dir: Reverse, Tid: -1})
		case "bs":
			tid, err := ss.resolve(ss.cThread)
			if err != nil {
				return ss.replyErr(err)
			}
			return ss.resume(Action{Dir: Reverse, Step: true, Tid: tid})
		}
	case 'k':
		if err := ss.reply("X09"); err != nil {
			return err
		}
		return ErrKilled
	case 'D':
		if err := ss.reply("OK"); err != nil {
			return err
		}
		return errDetached
	case 'R':
		// Restart; R has no reply.
		if st, err := ss.t.Restart(""); err != nil {
			ss.srv.log.Printf("gdbserver: restart: %v", err)
		} else {
			ss.srv.setStop(ss.normalize(st))
			ss.gThread, ss.cThread = 0, 0
		}
		return nil
	case 'v':
		return ss.vPacket(s)
	case 'q':
		return ss.query(s)
	case 'Q':
		return ss.set(s)
	case '_':
		// lldb's _M (allocate) and _m (deallocate): "unsupported" makes
		// lldb evaluate expressions on its own side instead of failing.
		return ss.reply("")
	}
	return ss.reply("")
}

// threadID formats a thread id as the client expects it.
func (ss *session) threadID(tid int) string {
	if ss.multiprocess {
		return fmt.Sprintf("p%x.%x", ss.t.Pid(), tid)
	}
	return fmt.Sprintf("%x", tid)
}

// parseThreadID parses a thread-id: p<pid>.<tid>, p<pid>, <tid>, with -1
// for all and 0 for any. It returns the thread (-1/0 kept as such).
func parseThreadID(s string) (int, error) {
	one := func(f string) (int, error) {
		if f == "-1" {
			return -1, nil
		}
		v, err := strconv.ParseUint(f, 16, 31)
		if err != nil {
			return 0, malformed("thread id %q", s)
		}
		return int(v), nil
	}
	if rest, ok := strings.CutPrefix(s, "p"); ok {
		pid, tid, hasTid := strings.Cut(rest, ".")
		if _, err := one(pid); err != nil {
			return 0, err
		}
		if !hasTid {
			return -1, nil
		}
		return one(tid)
	}
	return one(s)
}

// resolve turns a thread selection into a live thread: 0 and -1 mean the
// thread of the last stop.
func (ss *session) resolve(tid int) (int, error) {
	threads := ss.threads()
	if len(threads) == 0 {
		return 0, ErrExited
	}
	if tid <= 0 {
		tid = ss.srv.lastStop().Tid
		for _, t := range threads {
			if t == tid {
				return tid, nil
			}
		}
		return threads[0], nil
	}
	for _, t := range threads {
		if t == tid {
			return tid, nil
		}
	}
	return 0, fmt.Errorf("thread %d: %w", tid, ErrNoThread)
}

// cutThreadSuffix removes lldb's ";thread:<tid>;" suffix.
func cutThreadSuffix(s string) (rest string, tid int, ok bool, err error) {
	i := strings.Index(s, ";thread:")
	if i < 0 {
		return s, 0, false, nil
	}
	id := strings.TrimSuffix(s[i+len(";thread:"):], ";")
	tid, err = parseThreadID(id)
	return s[:i], tid, true, err
}

func (ss *session) threadFor(args string, sel int) (string, int, error) {
	rest, tid, ok, err := cutThreadSuffix(args)
	if err != nil {
		return "", 0, err
	}
	if !ok {
		tid = sel
	}
	tid, err = ss.resolve(tid)
	return rest, tid, err
}

func (ss *session) readRegisters(args string) error {
	rest, tid, err := ss.threadFor(args, ss.gThread)
	if err != nil {
		return ss.replyErr(err)
	}
	if rest != "" {
		return ss.replyErr(malformed("g%s", rest))
	}
	rs, err := ss.t.Registers(tid)
	if err != nil {
		return ss.replyErr(err)
	}
	return ss.c.WritePacket(arch.EncodeGPacket(rs, ss.t.HasAVX()))
}

// writeRegister accepts only writes that change nothing: the same value
// again, or orig_rax, which gdb sets to -1 whenever it sets the pc (to
// stop a syscall restart) and which the replay ignores. Anything else
// would change the past.
func (ss *session) writeRegister(args string) error {
	rest, tid, err := ss.threadFor(args, ss.gThread)
	if err != nil {
		return ss.replyErr(err)
	}
	num, val, ok := strings.Cut(rest, "=")
	n, err := strconv.ParseUint(num, 16, 16)
	if !ok || err != nil {
		return ss.replyErr(malformed("P%s", rest))
	}
	if int(n) == arch.GDBRegOrigRAX {
		return ss.reply("OK")
	}
	rs, err := ss.t.Registers(tid)
	if err != nil {
		return ss.replyErr(err)
	}
	cur, err := arch.EncodeGDBRegister(rs, int(n), ss.t.HasAVX())
	if err != nil {
		return ss.replyErr(err)
	}
	if string(cur) == strings.ToLower(val) {
		return ss.reply("OK")
	}
	return ss.replyErr(ErrWriteRefused)
}

func (ss *session) readRegister(args string) error {
	rest, tid, err := ss.threadFor(args, ss.gThread)
	if err != nil {
		return ss.replyErr(err)
	}
	n, err := strconv.ParseUint(rest, 16, 16)
	if err != nil {
		return ss.replyErr(malformed("register number %q", rest))
	}
	rs, err := ss.t.Registers(tid)
	if err != nil {
		return ss.replyErr(err)
	}
	v, err := arch.EncodeGDBRegister(rs, int(n), ss.t.HasAVX())
	if err != nil {
		return ss.replyErr(err)
	}
	return ss.c.WritePacket(v)
}

// parseAddrLen parses "<addr>,<len>" (hex).
func parseAddrLen(s string) (uint64, uint64, error) {
	a, l, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, malformed("address,length %q", s)
	}
	addr, err := strconv.ParseUint(a, 16, 64)
	if err != nil {
		return 0, 0, malformed("address %q", a)
	}
	n, err := strconv.ParseUint(l, 16, 64)
	if err != nil {
		return 0, 0, malformed("length %q", l)
	}
	return addr, n, nil
}

// maxData is how many data bytes fit in a reply, hex-encoded (2 chars a
// byte) or binary (escaping can double a byte too), after prefix bytes.
func (ss *session) maxData(prefix int) int {
	n := (ss.c.MaxPacket() - prefix - 4) / 2
	if n < 1 {
		n = 1
	}
	return n
}

func (ss *session) readMemory(args string, binary bool) error {
	addr, n, err := parseAddrLen(args)
	if err != nil {
		return ss.replyErr(err)
	}
	if n == 0 {
		if binary {
			return ss.reply("OK") // x0,0 probes for x support (lldb, Delve)
		}
		return ss.reply("")
	}
	if max := uint64(ss.maxData(0)); n > max {
		n = max
	}
	buf := make([]byte, n)
	got, err := ss.t.ReadMemory(addr, buf)
	if got <= 0 {
		if err == nil {
			err = errMemory
		}
		return ss.replyErr(fmt.Errorf("%w at %#x: %v", errMemory, addr, err))
	}
	buf = buf[:got]
	if binary {
		return ss.c.WriteBinary(buf)
	}
	return ss.c.WritePacket(appendHex(nil, buf))
}

func (ss *session) breakpoint(s string) error {
	// Z<type>,<addr>,<kind>[;cond...]
	if len(s) < 2 {
		return ss.replyErr(malformed("%q", s))
	}
	typ := s[1]
	if typ < '0' || typ > '4' {
		return ss.reply("")
	}
	rest, _, _ := strings.Cut(s[2:], ";")
	rest, ok := strings.CutPrefix(rest, ",")
	if !ok {
		return ss.replyErr(malformed("%q", s))
	}
	addr, size, err := parseAddrLen(rest)
	if err != nil {
		return ss.replyErr(err)
	}
	if size > 1<<20 {
		return ss.replyErr(malformed("breakpoint length %#x", size))
	}
	k := BreakKind(typ - '0')
	if s[0] == 'Z' {
		err = ss.t.SetBreakpoint(k, addr, int(size))
	} else {
		err = ss.t.ClearBreakpoint(k, addr, int(size))
	}
	switch {
	case errors.Is(err, ErrUnsupported):
		return ss.reply("")
	case err != nil:
		return ss.replyErr(err)
	}
	return ss.reply("OK")
}

func (ss *session) setThread(args string) error {
	if args == "" {
		return ss.replyErr(malformed("H"))
	}
	op := args[0]
	if op != 'g' && op != 'c' {
		return ss.replyErr(malformed("H%c", op))
	}
	tid, err := parseThreadID(args[1:])
	if err != nil {
		return ss.replyErr(err)
	}
	if tid > 0 {
		if _, err := ss.resolve(tid); err != nil {
			return ss.replyErr(err)
		}
	}
	switch op {
	case 'g':
		ss.gThread = tid
	default:
		ss.cThread = tid
	}
	return ss.reply("OK")
}

func (ss *session) threadAlive(args string) error {
	tid, err := parseThreadID(args)
	if err != nil {
		return ss.replyErr(err)
	}
	if tid <= 0 {
		return ss.replyErr(fmt.Errorf("thread %s: %w", args, ErrNoThread))
	}
	if _, err := ss.resolve(tid); err != nil {
		return ss.replyErr(err)
	}
	return ss.reply("OK")
}

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

func hexString(s string) string { return string(appendHex(nil, []byte(s))) }

func decodeHex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, malformed("odd-length hex %q", s)
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return nil, malformed("hex %q", s)
		}
		out[i] = hi<<4 | lo
	}
	return out, nil
}
