package test

// End-to-end test of gdb's machine interface against a replay served by
// rewind, driven the way VS Code's cpptools drives it: "gdb --interpreter=mi3"
// with commands on a pipe, -target-select extended-remote to "rewind replay
// -s 0", breakpoints, stepping, variables and the end of the recording.
// Records are parsed and values compared; every wait has a deadline, so a
// stub that stops answering fails the test instead of hanging it.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// miTimeout bounds each wait for a record.
const miTimeout = 15 * time.Second

// miRecord is one line of MI output.
type miRecord struct {
	token   string
	kind    byte   // '^' result, '*' exec async, '=' notify, '+' status, '~' '@' '&' streams
	class   string // done, running, error, stopped, ... (empty for streams)
	results map[string]any
	text    string // stream text
	raw     string
}

// miParser parses MI values: "const", {tuple}, [list].
type miParser struct {
	s string
	i int
}

func (p *miParser) fail(what string) error {
	return fmt.Errorf("MI parse error at %d (%s): %q", p.i, what, p.s)
}

func (p *miParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// cstring parses a C string starting at the quote.
func (p *miParser) cstring() (string, error) {
	if p.peek() != '"' {
		return "", p.fail("want string")
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return "", p.fail("escape")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				// Up to three octal digits.
				v := int(e - '0')
				for k := 0; k < 2 && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '7'; k++ {
					v = v*8 + int(p.s[p.i]-'0')
					p.i++
				}
				b.WriteByte(byte(v))
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", p.fail("unterminated string")
}

// name parses a result's name up to '='.
func (p *miParser) name() (string, error) {
	j := strings.IndexByte(p.s[p.i:], '=')
	if j <= 0 {
		return "", p.fail("want name=")
	}
	n := p.s[p.i : p.i+j]
	p.i += j + 1
	return n, nil
}

func (p *miParser) value() (any, error) {
	switch p.peek() {
	case '"':
		return p.cstring()
	case '{':
		p.i++
		m := map[string]any{}
		for p.peek() != '}' {
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			m[n] = v
			if p.peek() == ',' {
				p.i++
			}
		}
		p.i++
		return m, nil
	case '[':
		p.i++
		var l []any
		for p.peek() != ']' {
			if c := p.peek(); c != '"' && c != '{' && c != '[' {
				// A list of results: keep the values.
				if _, err := p.name(); err != nil {
					return nil, err
				}
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			if p.peek() == ',' {
				p.i++
			}
		}
		p.i++
		return l, nil
	}
	return nil, p.fail("want value")
}

// parseMI parses one line of MI output. The prompt "(gdb)" gives ok false.
func parseMI(line string) (miRecord, bool, error) {
	r := miRecord{raw: line}
	if strings.TrimSpace(line) == "(gdb)" || line == "" {
		return r, false, nil
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	r.token = line[:i]
	if i >= len(line) {
		return r, false, fmt.Errorf("MI line with only a token: %q", line)
	}
	r.kind = line[i]
	p := &miParser{s: line, i: i + 1}
	switch r.kind {
	case '~', '@', '&':
		t, err := p.cstring()
		r.text = t
		return r, true, err
	case '^', '*', '=', '+':
	default:
		return r, false, fmt.Errorf("not an MI record: %q", line)
	}
	j := strings.IndexByte(line[p.i:], ',')
	if j < 0 {
		r.class = line[p.i:]
		return r, true, nil
	}
	r.class = line[p.i : p.i+j]
	p.i += j + 1
	r.results = map[string]any{}
	for p.i < len(p.s) {
		n, err := p.name()
		if err != nil {
			return r, true, err
		}
		v, err := p.value()
		if err != nil {
			return r, true, err
		}
		r.results[n] = v
		if p.peek() == ',' {
			p.i++
		}
	}
	return r, true, nil
}

// miGet follows keys (tuple names, or list indexes as decimal strings)
// from v and returns the string there, or "" if there is none.
func miGet(v any, path ...string) string {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(x) {
				return ""
			}
			v = x[n]
		default:
			return ""
		}
	}
	s, _ := v.(string)
	return s
}

// miSession is a running gdb --interpreter=mi3.
type miSession struct {
	t       *testing.T
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	recs    chan miRecord
	done    chan struct{} // closed once gdb has been waited for
	backlog []miRecord    // records read while waiting for others
	streams []miRecord    // stream records since the last call to takeStreams
	token   int

	mu  sync.Mutex
	log bytes.Buffer // everything exchanged, for failure messages
}

func startMI(t *testing.T, exe string) *miSession {
	t.Helper()
	s := &miSession{t: t, recs: make(chan miRecord, 1024), done: make(chan struct{})}
	s.cmd = exec.Command("gdb", "--interpreter=mi3", "-nx", "-q", exe)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.log, prefix: "stderr: "}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString("<- " + line + "\n")
			s.mu.Unlock()
			r, ok, err := parseMI(line)
			if err != nil {
				s.mu.Lock()
				s.log.WriteString("!! " + err.Error() + "\n")
				s.mu.Unlock()
			}
			if ok {
				s.recs <- r
			}
		}
		io.Copy(io.Discard, stdout)
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stdin.Close()
		select {
		case <-s.done:
		case <-time.After(3 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
	return s
}

// lockedWriter appends to a buffer under a mutex, prefixing each write.
type lockedWriter struct {
	mu     *sync.Mutex
	w      *bytes.Buffer
	prefix string
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.WriteString(l.prefix)
	l.w.Write(b)
	return len(b), nil
}

func (s *miSession) transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clip(s.log.Bytes())
}

// next returns the first record that match accepts, looking in the
// backlog first; it fails the test after miTimeout.
func (s *miSession) next(what string, match func(miRecord) bool) miRecord {
	s.t.Helper()
	for i, r := range s.backlog {
		if match(r) {
			s.backlog = append(s.backlog[:i:i], s.backlog[i+1:]...)
			return r
		}
	}
	// take files r and reports whether it is the one wanted.
	take := func(r miRecord) bool {
		if r.kind == '~' || r.kind == '@' || r.kind == '&' {
			s.streams = append(s.streams, r)
			return false
		}
		if match(r) {
			return true
		}
		s.backlog = append(s.backlog, r)
		return false
	}
	deadline := time.After(miTimeout)
	for {
		select {
		case r := <-s.recs:
			if take(r) {
				return r
			}
		case <-s.done:
			// gdb ended: what it printed before is all there is.
			for {
				select {
				case r := <-s.recs:
					if take(r) {
						return r
					}
				default:
					s.t.Fatalf("gdb exited while waiting for %s\n--- transcript:\n%s", what, s.transcript())
				}
			}
		case <-deadline:
			s.t.Fatalf("no %s from gdb within %v\n--- transcript:\n%s", what, miTimeout, s.transcript())
		}
	}
}

// send sends an MI command and returns its result record (^done, ^running,
// ^connected, ^error, ^exit).
func (s *miSession) send(command string) miRecord {
	s.t.Helper()
	s.token++
	tok := strconv.Itoa(s.token)
	s.mu.Lock()
	s.log.WriteString("-> " + tok + command + "\n")
	s.mu.Unlock()
	if _, err := io.WriteString(s.stdin, tok+command+"\n"); err != nil {
		s.t.Fatalf("writing %q to gdb: %v\n--- transcript:\n%s", command, err, s.transcript())
	}
	return s.next("result of "+command, func(r miRecord) bool { return r.kind == '^' && r.token == tok })
}

// must sends command and fails the test unless its result class is class.
func (s *miSession) must(command, class string) miRecord {
	s.t.Helper()
	r := s.send(command)
	if r.class != class {
		s.t.Fatalf("%s: got %s, want ^%s\n--- transcript:\n%s", command, r.raw, class, s.transcript())
	}
	return r
}

// run sends an execution command (which must answer ^running) and returns
// the *stopped record that ends it.
func (s *miSession) run(command string) miRecord {
	s.t.Helper()
	s.must(command, "running")
	// Stops read before ^running belong to earlier commands.
	kept := s.backlog[:0]
	for _, r := range s.backlog {
		if r.kind != '*' || r.class != "stopped" {
			kept = append(kept, r)
		}
	}
	s.backlog = kept
	return s.stopped(command)
}

func (s *miSession) stopped(what string) miRecord {
	s.t.Helper()
	return s.next("*stopped after "+what, func(r miRecord) bool { return r.kind == '*' && r.class == "stopped" })
}

// takeStreams returns the text of the stream records of kind seen so far
// and forgets them all.
func (s *miSession) takeStreams(kind byte) string {
	var b strings.Builder
	for _, r := range s.streams {
		if r.kind == kind {
			b.WriteString(r.text)
		}
	}
	s.streams = nil
	return b.String()
}

// eval evaluates expr with -data-evaluate-expression and returns its value.
func (s *miSession) eval(expr string) string {
	s.t.Helper()
	r := s.must("-data-evaluate-expression "+strconv.Quote(expr), "done")
	return miGet(r.results, "value")
}

// TestMIDemo debugs the demo through gdb/MI as cpptools would, with the
// recorded final balance as the reference for values read in the replay.
func TestMIDemo(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	start := time.Now()
	trace, fin := demoTrace(t)
	final := strconv.Itoa(fin)
	bad := strconv.Itoa(fin - 480) // what round 6 deposits
	depositLine := strconv.Itoa(sourceLine(t, "demo", "balance += amount;"))
	mainCallLine := strconv.Itoa(sourceLine(t, "demo", "deposit(amount);"))

	srv := serveReplay(t, trace)
	s := startMI(t, srv.exe)
	s.must("-gdb-set pagination off", "done")
	s.must("-gdb-set sysroot /", "done")
	s.must("-target-select extended-remote "+srv.addr, "connected")
	if st := s.stopped("-target-select"); miGet(st.results, "thread-id") != "1" {
		t.Errorf("stop on connecting: %s, want thread 1", st.raw)
	}

	// A breakpoint on deposit and a continue to it.
	r := s.must("-break-insert deposit", "done")
	if miGet(r.results, "bkpt", "func") != "deposit" || miGet(r.results, "bkpt", "line") != depositLine {
		t.Errorf("-break-insert deposit: %s, want func deposit line %s", r.raw, depositLine)
	}
	bp := miGet(r.results, "bkpt", "number")
	st := s.run("-exec-continue")
	if got := miGet(st.results, "reason"); got != "breakpoint-hit" || miGet(st.results, "bkptno") != bp {
		t.Errorf("stop after -exec-continue: %s, want breakpoint-hit of %s", st.raw, bp)
	}
	if miGet(st.results, "frame", "func") != "deposit" || miGet(st.results, "frame", "args", "0", "value") != "10" {
		t.Errorf("stopped frame: %s, want deposit(amount=10)", st.raw)
	}
	if miGet(st.results, "thread-id") != "1" {
		t.Errorf("stopped thread-id: %s, want 1", st.raw)
	}

	// Variables and expressions, as the Variables and Watch panes ask.
	r = s.must("-stack-list-variables --simple-values", "done")
	if miGet(r.results, "variables", "0", "name") != "amount" || miGet(r.results, "variables", "0", "value") != "10" ||
		miGet(r.results, "variables", "0", "type") != "int" {
		t.Errorf("-stack-list-variables: %s, want amount (int) = 10", r.raw)
	}
	if v := s.eval("balance"); v != "0" {
		t.Errorf("balance at the first deposit = %q, want 0", v)
	}
	r = s.must("-stack-list-frames", "done")
	if miGet(r.results, "stack", "0", "func") != "deposit" || miGet(r.results, "stack", "1", "func") != "main" ||
		miGet(r.results, "stack", "1", "line") != mainCallLine {
		t.Errorf("-stack-list-frames: %s, want deposit then main:%s", r.raw, mainCallLine)
	}
	r = s.must("-thread-info", "done")
	if threads, _ := r.results["threads"].([]any); len(threads) != 1 || miGet(r.results, "current-thread-id") != "1" {
		t.Errorf("-thread-info: %s, want one thread, current 1", r.raw)
	}
	r = s.must(`-data-list-register-values x 16`, "done") // rip, in gdb's numbering
	if v := miGet(r.results, "register-values", "0", "value"); !strings.HasPrefix(v, "0x5555") {
		t.Errorf("rip: %s, want an address in the executable", r.raw)
	}

	// Stepping: next over the update, then finish back into main.
	st = s.run("-exec-next")
	if miGet(st.results, "reason") != "end-stepping-range" || miGet(st.results, "frame", "func") != "deposit" {
		t.Errorf("stop after -exec-next: %s, want end-stepping-range in deposit", st.raw)
	}
	if v := s.eval("balance"); v != "10" {
		t.Errorf("balance after next = %q, want 10", v)
	}
	st = s.run("-exec-finish")
	if miGet(st.results, "reason") != "function-finished" || miGet(st.results, "frame", "func") != "main" {
		t.Errorf("stop after -exec-finish: %s, want function-finished in main", st.raw)
	}

	// A conditional breakpoint, and finish with a return value.
	s.must("-break-delete", "done")
	r = s.must(`-break-insert -c "round == 6" amount_for`, "done")
	if miGet(r.results, "bkpt", "cond") != "round == 6" {
		t.Errorf("conditional breakpoint: %s", r.raw)
	}
	st = s.run("-exec-continue")
	if miGet(st.results, "reason") != "breakpoint-hit" || miGet(st.results, "frame", "func") != "amount_for" ||
		miGet(st.results, "frame", "args", "0", "value") != "6" {
		t.Errorf("stop at the conditional breakpoint: %s, want amount_for(round=6)", st.raw)
	}
	if v := s.eval("balance"); v != "210" {
		t.Errorf("balance before round 6 = %q, want 210", v)
	}
	st = s.run("-exec-finish")
	if miGet(st.results, "reason") != "function-finished" || miGet(st.results, "return-value") != bad {
		t.Errorf("finish from amount_for(6): %s, want return-value %s (final balance %s - 480)", st.raw, bad, final)
	}

	// To the end of the recording: the program stays inspectable.
	s.must("-break-delete", "done")
	s.takeStreams('~')
	st = s.run("-exec-continue")
	console := s.takeStreams('~')
	if miGet(st.results, "reason") != "no-history" && !strings.Contains(console, "No more reverse-execution history") {
		t.Errorf("stop at the end: %s (console %q), want the end of history", st.raw, console)
	}
	if f := miGet(st.results, "frame", "func"); !strings.Contains(f, "exit") {
		t.Errorf("stop at the end in %q, want in _exit", f)
	}
	if v := s.eval("balance"); v != final {
		t.Errorf("balance at the end = %q, want %s as recorded", v, final)
	}
	s.takeStreams('@')
	s.must(`-interpreter-exec console "monitor when"`, "done")
	if out := s.takeStreams('@'); !regexp.MustCompile(`^Completed event: \d+\n$`).MatchString(out) {
		t.Errorf("monitor when printed %q, want Completed event: N", out)
	}

	// A write is refused, and the session goes on.
	r = s.send(`-data-evaluate-expression "balance = 5"`)
	if r.class != "error" || !regexp.MustCompile(`(?i)replay|Cannot access memory`).MatchString(miGet(r.results, "msg")) {
		t.Errorf("writing balance: %s, want an error", r.raw)
	}
	if v := s.eval("balance"); v != final {
		t.Errorf("balance after the refused write = %q, want %s", v, final)
	}

	s.must("-gdb-exit", "exit")
	select {
	case <-s.done:
	case <-time.After(miTimeout):
		t.Errorf("gdb still running %v after -gdb-exit", miTimeout)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("session took %v", d)
	}
	if t.Failed() {
		t.Logf("transcript:\n%s\n--- rewind:\n%s", s.transcript(), srv.log())
	}
}
