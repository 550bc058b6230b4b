package test

// End-to-end tests of what happens when things go wrong around a
// recording or a replay (docs/reliability.md):
//   - rewind record killed with SIGKILL leaves no process behind, and a
//     trace marked incomplete that rewind check calls incomplete and that
//     rewind replay -a replays up to its end, then says it is incomplete;
//   - SIGINT and SIGTERM sent to rewind record reach the program, and the
//     trace is finished normally when the program exits;
//   - a trace directory that cannot be written, or a disk that fills,
//     gives one clear error (exit 125) and leaves nothing running;
//   - the debugger stub refuses a second client while the first goes
//     on, listens where it is told with a warning or 0600 socket, and
//     kills the replay when its client vanishes.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// bgRewind is a rewind command running in the background, in a process
// group of its own (as if started from another terminal: the tests'
// terminal, if any, does not send it ^C).
type bgRewind struct {
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	lines  chan string // stdout lines
}

func startRewind(t *testing.T, args ...string) *bgRewind {
	t.Helper()
	b := &bgRewind{cmd: exec.Command(Rewind(t), args...), done: make(chan struct{}), lines: make(chan string, 1024)}
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b.cmd.Stderr = &lockedBuffer{mu: &b.mu, b: &b.stderr}
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := b.cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGKILL) // whatever is left of the group
		b.wait(t, 10*time.Second)
	})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			b.mu.Lock()
			b.stdout.WriteString(sc.Text() + "\n")
			b.mu.Unlock()
			select {
			case b.lines <- sc.Text():
			default:
			}
		}
		b.cmd.Wait()
		close(b.done)
	}()
	return b
}

type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// waitLine waits for a stdout line equal to want.
func (b *bgRewind) waitLine(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-b.lines:
			if l == want {
				return
			}
		case <-b.done:
			t.Fatalf("rewind ended before printing %q\n%s", want, b)
		case <-deadline:
			t.Fatalf("no %q after %v\n%s", want, timeout, b)
		}
	}
}

// wait waits for the command to end and returns its exit code (128+N
// for signal N).
func (b *bgRewind) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		t.Fatalf("rewind still running after %v\n%s", timeout, b)
	}
	ws := b.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

func (b *bgRewind) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return fmt.Sprintf("--- stdout:\n%s\n--- stderr:\n%s", clip(b.stdout.Bytes()), clip(b.stderr.Bytes()))
}

// children lists the pids of pid's children, all threads' together.
func children(pid int) []int {
	var kids []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, w := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(w); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// waitChild waits until pid has a child and returns it.
func waitChild(t *testing.T, pid int) int {
	t.Helper()
	for i := 0; i < 500; i++ {
		if kids := children(pid); len(kids) > 0 {
			return kids[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d started no child in 5s", pid)
	return 0
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// checkGone fails t unless pid dies within timeout.
func checkGone(t *testing.T, pid int, what string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); running(pid); {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("%s (pid %d) still running %v later: an orphan", what, pid, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFlushed waits until the events file holds a chunk (the writer
// flushes frames that waited a second).
func waitFlushed(t *testing.T, trace string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if st, err := os.Stat(filepath.Join(trace, "events")); err == nil && st.Size() > 8 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/events got no chunk in 5s", trace)
}

// TestReliabilityRecorderKilled kills rewind record with SIGKILL while
// the program runs.
func TestReliabilityRecorderKilled(t *testing.T) {
	Require(t, "ptrace")
	cases := []struct {
		name string
		prog string
		args []string
		// ready is a line the program prints before it is killed, and
		// that the replay must print again.
		ready string
	}{
		{"waiting", "sigint_handler", []string{"wait", "60"}, "ready"},
		{"syscall loop", "syscalls", []string{"1000000000"}, ""},
		{"cpu loop", "cpuloop", []string{"100000000000"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			rec := startRewind(t, append([]string{"record", "-o", trace, "--", Build(t, c.prog)}, c.args...)...)
			child := waitChild(t, rec.cmd.Process.Pid)
			if c.ready != "" {
				rec.waitLine(t, c.ready, 10*time.Second)
			}
			waitFlushed(t, trace)
			time.Sleep(300 * time.Millisecond) // well into the program
			syscall.Kill(rec.cmd.Process.Pid, syscall.SIGKILL)
			if code := rec.wait(t, 10*time.Second); code != 128+9 {
				t.Fatalf("rewind record exited %d after SIGKILL\n%s", code, rec)
			}
			checkGone(t, child, "the recorded program", 5*time.Second)
			if _, err := os.Stat(filepath.Join(trace, "incomplete")); err != nil {
				t.Errorf("the trace of a killed recorder is not marked incomplete: %v", err)
			}

			chk := Run(t, "", nil, Rewind(t), "check", trace)
			if chk.Code != 1 || !bytes.Contains(chk.Stdout, []byte("INCOMPLETE")) {
				t.Errorf("rewind check of the killed recording: want exit 1 and INCOMPLETE\n%s", chk)
			}
			rep := Run(t, t.TempDir(), nil, Rewind(t), "replay", "-a", trace)
			checkErrorLine(t, rep, 125, true, "incomplete")
			if c.ready != "" && string(rep.Stdout) != c.ready+"\n" {
				t.Errorf("the replay printed %q, want the recorded %q", rep.Stdout, c.ready+"\n")
			}
		})
	}
}

// TestReliabilitySignalsReachProgram sends SIGINT and SIGTERM to rewind
// record: the program gets them as if it ran alone, and the trace is
// complete and replays.
func TestReliabilitySignalsReachProgram(t *testing.T) {
	Require(t, "ptrace")
	prog := Build(t, "sigint_handler")
	cases := []struct {
		sig  syscall.Signal
		code int
		want string
	}{
		{syscall.SIGINT, 0, "ready\ngot SIGINT (1)\n"}, // handled
		{syscall.SIGTERM, 128 + 15, "ready\n"},         // kills it
	}
	for _, c := range cases {
		t.Run(c.sig.String(), func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			rec := startRewind(t, "record", "-o", trace, "--", prog, "wait", "30")
			rec.waitLine(t, "ready", 10*time.Second)
			syscall.Kill(rec.cmd.Process.Pid, c.sig)
			code := rec.wait(t, 20*time.Second)
			rec.mu.Lock()
			out := rec.stdout.String()
			rec.mu.Unlock()
			if code != c.code || out != c.want {
				t.Fatalf("after %v: exit %d, stdout %q; want %d, %q\n%s", c.sig, code, out, c.code, c.want, rec)
			}
			checkTraceDir(t, trace)
			if chk := Run(t, "", nil, Rewind(t), "check", trace); chk.Code != 0 || !bytes.Contains(chk.Stdout, []byte("status: complete")) {
				t.Errorf("rewind check: %s", chk)
			}
			checkReplay(t, 0, trace, Result{Stdout: []byte(c.want), Code: c.code})
		})
	}
}

// openPTY returns a new pseudo-terminal's master and slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0)
	}
	if err != nil {
		m.Close()
		t.Skipf("no pseudo-terminals: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// TestReliabilityTerminalCtrlC types ^C on the terminal where rewind
// record runs in the foreground: the terminal signals the program itself
// (it shares rewind's process group) and rewind must not pass on a
// second SIGINT.
func TestReliabilityTerminalCtrlC(t *testing.T) {
	Require(t, "ptrace")
	prog := Build(t, "sigint_handler")
	master, slave := openPTY(t)
	trace := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(Rewind(t), "record", "-o", trace, "--", prog, "wait", "30")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own with the terminal as its controlling one:
	// rewind's group is then the terminal's foreground job.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	slave.Close()
	var mu sync.Mutex
	var out bytes.Buffer
	go io.Copy(&lockedBuffer{mu: &mu, b: &out}, master)
	seen := func(s string) bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(out.String(), s)
	}
	for deadline := time.Now().Add(10 * time.Second); !seen("ready"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no ready on the terminal:\n%s", out.String())
		}
	}
	master.Write([]byte{0x03}) // ^C
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("rewind record: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("rewind record still running 20s after ^C:\n%s", out.String())
	}
	time.Sleep(100 * time.Millisecond) // the last output
	if !seen("got SIGINT (1)") {
		mu.Lock()
		t.Errorf("the program did not get exactly one SIGINT:\n%s", out.String())
		mu.Unlock()
	}
	checkTraceDir(t, trace)
}

// TestReliabilityTraceDirErrors: a trace directory that cannot be
// written is an error before the program runs; a disk that fills stops
// the recording with an error naming the file, and the trace so far is
// marked incomplete.
func TestReliabilityTraceDirErrors(t *testing.T) {
	Require(t, "ptrace")
	hello := Build(t, "hello")
	t.Run("not a directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		r := Run(t, "", nil, Rewind(t), "record", "-o", filepath.Join(file, "trace"), "--", hello)
		checkErrorLine(t, r, 125, false, "cannot write the recording", "not a directory")
		if len(r.Stdout) != 0 {
			t.Errorf("the program ran: %q", r.Stdout)
		}
	})
	if os.Geteuid() != 0 {
		t.Run("read-only", func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(dir, 0o555)
			defer os.Chmod(dir, 0o755)
			r := Run(t, "", nil, Rewind(t), "record", "-o", filepath.Join(dir, "trace"), "--", hello)
			checkErrorLine(t, r, 125, false, "cannot write the recording", "permission denied")
		})
		t.Skip("the file system cases need root (a tmpfs in a mount namespace of their own)")
	}
	if err := exec.Command("unshare", "-m", "true").Run(); err != nil {
		t.Skipf("no mount namespaces (unshare -m): %v", err)
	}
	// inTmpfs runs a shell script in a mount namespace of its own with a
	// tmpfs mounted (with opts) at $D.
	inTmpfs := func(t *testing.T, opts, script string) Result {
		d := t.TempDir()
		return Run(t, "", nil, "unshare", "-m", "sh", "-c",
			fmt.Sprintf("mount -t tmpfs -o %s tmpfs %s && D=%s REWIND=%s && %s", opts, d, d, Rewind(t), script))
	}
	t.Run("read-only", func(t *testing.T) {
		r := inTmpfs(t, "ro", `exec "$REWIND" record -o "$D/trace" -- `+hello)
		checkErrorLine(t, r, 125, false, "cannot write the recording", "read-only file system")
	})
	t.Run("no room", func(t *testing.T) {
		r := inTmpfs(t, "size=1m", `exec "$REWIND" record -o "$D/trace" -- `+hello)
		checkErrorLine(t, r, 125, false, "cannot write the recording", "KiB free")
	})
	t.Run("disk fills", func(t *testing.T) {
		// head copies random bytes: every read is recorded, incompressible.
		r := inTmpfs(t, "size=16m", `"$REWIND" record -o "$D/trace" -- head -c 1000000000 /dev/urandom >/dev/null
echo "record exit $?" >&2
"$REWIND" check "$D/trace"
echo "check exit $?" >&2`)
		errOut := string(r.Stderr)
		for _, want := range []string{"no space left on device", "record exit 125", "check exit 1", "partial trace"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q\n%s", want, r)
			}
		}
		if !bytes.Contains(r.Stdout, []byte("INCOMPLETE")) {
			t.Errorf("rewind check does not call it incomplete\n%s", r)
		}
		for _, bad := range []string{"panic", "goroutine "} {
			if strings.Contains(errOut, bad) {
				t.Errorf("stderr mentions %q\n%s", bad, r)
			}
		}
	})
}

// rspClient is a minimal GDB remote protocol client (ack mode).
type rspClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRSP(t *testing.T, network, addr string) *rspClient {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rspClient{t: t, c: c, r: bufio.NewReader(c)}
}

func (r *rspClient) send(p string) {
	r.t.Helper()
	var sum byte
	for i := 0; i < len(p); i++ {
		sum += p[i]
	}
	r.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(r.c, "$%s#%02x", p, sum); err != nil {
		r.t.Fatalf("sending %q: %v", p, err)
	}
}

// recv returns the next packet's payload, acking it.
func (r *rspClient) recv() (string, error) {
	r.c.SetDeadline(time.Now().Add(30 * time.Second))
	for {
		b, err := r.r.ReadByte()
		if err != nil {
			return "", err
		}
		if b != '$' {
			continue // acks
		}
		p, err := r.r.ReadString('#')
		if err != nil {
			return "", err
		}
		if _, err := io.ReadFull(r.r, make([]byte, 2)); err != nil {
			return "", err
		}
		r.c.Write([]byte{'+'})
		return strings.TrimSuffix(p, "#"), nil
	}
}

func (r *rspClient) exchange(p string) string {
	r.t.Helper()
	r.send(p)
	reply, err := r.recv()
	if err != nil {
		r.t.Fatalf("reply to %q: %v", p, err)
	}
	return reply
}

// atEnd says whether a stop reply is the end of the replay (hello exits 3).
func atEnd(reply string) bool {
	return reply == "W03" || strings.HasPrefix(reply, "T") && strings.Contains(reply, "replaylog:end")
}

// TestReliabilitySecondClient: while one debugger is connected, another
// is refused (and told why in rewind's log); the first goes on.
func TestReliabilitySecondClient(t *testing.T) {
	Require(t, "ptrace")
	trace := filepath.Join(t.TempDir(), "trace")
	if rec := record(t, "", nil, nil, trace, Build(t, "hello")); rec.Code != 3 {
		t.Fatalf("recording hello: %s", rec)
	}
	srv := serveReplay(t, trace)
	first := dialRSP(t, "tcp", srv.addr)
	if got := first.exchange("?"); !strings.HasPrefix(got, "S") && !strings.HasPrefix(got, "T") {
		t.Fatalf("first client: ? answered %q", got)
	}
	second := dialRSP(t, "tcp", srv.addr)
	second.send("?")
	if got, err := second.recv(); err == nil {
		t.Errorf("second client got an answer: %q", got)
	}
	if got := first.exchange("c"); !atEnd(got) {
		t.Errorf("first client after the second was refused: c answered %q\n%s", got, srv.log())
	}
	first.send("k")
	select {
	case <-srv.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("rewind replay still running after k\n%s", srv.log())
	}
	if !strings.Contains(srv.log(), "refused client") || !strings.Contains(srv.log(), "another debugger is already connected") {
		t.Errorf("rewind does not say why it refused the second client:\n%s", srv.log())
	}
}

// TestReliabilityClientVanishes: a client that goes away without a word,
// while the program runs or while it is stopped, leaves no replayed
// process behind.
func TestReliabilityClientVanishes(t *testing.T) {
	Require(t, "ptrace")
	trace, _ := recordTrace(t, Build(t, "cpuloop"), "3000000000")
	for _, running := range []bool{false, true} {
		t.Run(map[bool]string{false: "stopped", true: "running"}[running], func(t *testing.T) {
			srv := serveReplay(t, trace)
			c := dialRSP(t, "tcp", srv.addr)
			c.exchange("?")
			kids := children(srv.cmd.Process.Pid)
			if len(kids) == 0 {
				t.Fatalf("rewind replay has no replayed process\n%s", srv.log())
			}
			if running {
				c.send("c")
				time.Sleep(300 * time.Millisecond)
			}
			c.c.Close()
			select {
			case <-srv.done:
			case <-time.After(15 * time.Second):
				t.Fatalf("rewind replay still running 15s after its client vanished\n%s", srv.log())
			}
			for _, k := range kids {
				checkGone(t, k, "a replayed process", 5*time.Second)
			}
			if !strings.Contains(srv.log(), "disconnected") && !strings.Contains(srv.log(), "left") {
				t.Errorf("rewind does not say the client went away:\n%s", srv.log())
			}
		})
	}
}

// TestReliabilityListen: the stub listens on loopback unless told
// otherwise, warns when told otherwise, and makes its Unix socket 0600.
func TestReliabilityListen(t *testing.T) {
	Require(t, "ptrace")
	trace := filepath.Join(t.TempDir(), "trace")
	if rec := record(t, "", nil, nil, trace, Build(t, "hello")); rec.Code != 3 {
		t.Fatalf("recording hello: %s", rec)
	}
	t.Run("dbghost", func(t *testing.T) {
		srv := startRewind(t, "replay", "-s", "0", "--dbghost", "0.0.0.0", trace)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(srv.String(), "warning: listening on 0.0.0.0") {
			if time.Now().After(deadline) {
				t.Fatalf("no warning about listening beyond loopback\n%s", srv)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("unix", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "rewind.sock")
		srv := startRewind(t, "replay", "--unix", sock, trace)
		var st os.FileInfo
		for i := 0; ; i++ {
			var err error
			if st, err = os.Stat(sock); err == nil {
				break
			}
			if i > 500 {
				t.Fatalf("no socket at %s\n%s", sock, srv)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want a socket with 0600", sock, st.Mode())
		}
		c := dialRSP(t, "unix", sock)
		if got := c.exchange("c"); !atEnd(got) {
			t.Errorf("c over the Unix socket: %q", got)
		}
		c.send("k")
		if code := srv.wait(t, 10*time.Second); code != 0 {
			t.Errorf("rewind replay --unix exited %d\n%s", code, srv)
		}
	})
}

// requireSoak skips a soak test unless REWIND_SOAK=1 (make soak): they
// run for minutes.
func requireSoak(t *testing.T) {
	t.Helper()
	if os.Getenv("REWIND_SOAK") != "1" {
		t.Skip("soak test: runs only with REWIND_SOAK=1 (make soak)")
	}
}

// soakIterations is REWIND_SOAK_N, or def.
func soakIterations(def int) int {
	if n, err := strconv.Atoi(os.Getenv("REWIND_SOAK_N")); err == nil && n > 0 {
		return n
	}
	return def
}

// TestReliabilitySoakKilledRecorder kills rewind record at random moments,
// over and over: every time no process is left, and the trace is either
// incomplete and intact (rewind check exits 1, replay says incomplete)
// or, when the kill came before the header was written, not a trace.
func TestReliabilitySoakKilledRecorder(t *testing.T) {
	requireSoak(t)
	Require(t, "ptrace")
	progs := [][]string{
		{Build(t, "syscalls"), "1000000000"},
		{Build(t, "sigint_handler"), "wait", "60"},
		{Build(t, "cpuloop"), "100000000000"},
		{Build(t, "nondet")},
	}
	n := soakIterations(100)
	for i := 0; i < n; i++ {
		prog := progs[i%len(progs)]
		delay := time.Duration(i*7919%1500) * time.Millisecond // spread over 0-1.5s
		trace := filepath.Join(t.TempDir(), "trace")
		rec := startRewind(t, append([]string{"record", "-q", "-o", trace, "--"}, prog...)...)
		time.Sleep(delay)
		kids := children(rec.cmd.Process.Pid)
		syscall.Kill(rec.cmd.Process.Pid, syscall.SIGKILL)
		rec.wait(t, 10*time.Second)
		for _, k := range kids {
			checkGone(t, k, fmt.Sprintf("iteration %d: the recorded %s", i, filepath.Base(prog[0])), 5*time.Second)
		}
		if _, err := os.Stat(trace); err != nil {
			continue // killed before the trace directory existed
		}
		chk := Run(t, "", nil, Rewind(t), "check", trace)
		switch {
		case chk.Code == 0: // the program had finished (nondet is short)
		case chk.Code == 1:
			if bytes.Contains(chk.Stdout, []byte("nothing was recorded")) {
				break
			}
			rep := Run(t, t.TempDir(), nil, Rewind(t), "replay", "-a", trace)
			if rep.Code != 125 || !bytes.Contains(rep.Stderr, []byte("incomplete")) {
				t.Errorf("iteration %d (%v after start): replay of the incomplete trace\n%s", i, delay, rep)
			}
		case bytes.Contains(chk.Stderr, []byte("not a rewind trace")): // killed before the header was written
		default:
			t.Errorf("iteration %d (%v after start): rewind check\n%s", i, delay, chk)
		}
	}
}

// TestReliabilitySoakClients connects many clients to one rewind replay
// -k that send garbage, oversized and valid packets and vanish: the
// stub keeps serving, its memory stays bounded, and k ends it cleanly.
func TestReliabilitySoakClients(t *testing.T) {
	requireSoak(t)
	Require(t, "ptrace")
	trace := filepath.Join(t.TempDir(), "trace")
	if rec := record(t, "", nil, nil, trace, Build(t, "hello")); rec.Code != 3 {
		t.Fatalf("recording hello: %s", rec)
	}
	srv := serveReplay(t, trace, "-k")
	junk := []string{
		"$" + strings.Repeat("x", 1<<20) + "#00",       // oversized
		"$" + strings.Repeat("a*~", 40000) + "#00",     // run-length bomb
		"$qSupported:multiprocess+#c6$g#67$m0,100000#", // valid, then cut
		"\x03\x03$$$###}}}***",
		"$vCont;c#a8",
	}
	n := soakIterations(300)
	for i := 0; i < n; i++ {
		c := dialRSP(t, "tcp", srv.addr)
		c.c.Write([]byte(junk[i%len(junk)]))
		c.c.Close()
		if i%10 == 0 { // a well-behaved client is still served
			if got, err := askStop(t, srv.addr); err != nil || !strings.HasPrefix(got, "T") && !strings.HasPrefix(got, "S") && !strings.HasPrefix(got, "W") {
				t.Fatalf("iteration %d: ? answered %q, %v\n%s", i, got, err, srv.log())
			}
		}
		if i%50 == 0 {
			if rss := vmRSS(srv.cmd.Process.Pid); rss > 256<<20 {
				t.Fatalf("iteration %d: rewind replay uses %d MiB", i, rss>>20)
			}
		}
	}
	kids := children(srv.cmd.Process.Pid)
	c := dialRSP(t, "tcp", srv.addr)
	c.send("k")
	select {
	case <-srv.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("rewind replay -k still running after k\n%s", srv.log())
	}
	for _, k := range kids {
		checkGone(t, k, "a replayed process", 5*time.Second)
	}
}

// askStop connects, asks "?" and disconnects. A client is refused while
// the previous session is still closing, for at most a second or so
// under load: it tries again for a while.
func askStop(t *testing.T, addr string) (reply string, err error) {
	for try := 0; try < 10; try++ {
		c := dialRSP(t, "tcp", addr)
		if _, err = c.c.Write([]byte("$?#3f")); err == nil {
			reply, err = c.recv()
		}
		c.c.Close()
		if err == nil {
			return reply, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return reply, err
}

// vmRSS returns the resident memory of pid in bytes (0 if unknown).
func vmRSS(pid int) int64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestCheckFixtures records every fixture and checks the trace: what the
// recorder writes must pass rewind check.
func TestCheckFixtures(t *testing.T) {
	Require(t, "ptrace")
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			if rec := record(t, t.TempDir(), f.env, f.stdin, trace, Build(t, f.prog), f.args...); rec.Code != f.code {
				t.Fatalf("recording: %s", rec)
			}
			if r := Run(t, "", nil, Rewind(t), "check", trace); r.Code != 0 || !bytes.Contains(r.Stdout, []byte("status: complete")) {
				t.Errorf("rewind check: %s", r)
			}
		})
	}
}

// TestCheckCommand runs rewind check on a good recording and on copies
// damaged in the ways docs/reliability.md lists: each damage is exit 125
// with one error line naming the damaged file (and the offset, in events).
func TestCheckCommand(t *testing.T) {
	Require(t, "ptrace")
	good := filepath.Join(t.TempDir(), "trace")
	if rec := record(t, "", nil, nil, good, Build(t, "syscalls"), "20000"); rec.Code != 0 {
		t.Fatalf("recording syscalls: %s", rec)
	}
	r := Run(t, "", nil, Rewind(t), "check", good)
	if r.Code != 0 || !bytes.Contains(r.Stdout, []byte("status: complete")) || !bytes.Contains(r.Stdout, []byte("program exited with status 0")) {
		t.Fatalf("rewind check of a good trace: %s", r)
	}
	edit := func(t *testing.T, path string, fn func([]byte) []byte) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, fn(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		damage  func(t *testing.T, trace string)
		mention func(trace string) []string
	}{
		{"truncated chunk", func(t *testing.T, trace string) {
			edit(t, filepath.Join(trace, "events"), func(b []byte) []byte { return b[:len(b)-10] })
		}, func(trace string) []string {
			return []string{filepath.Join(trace, "events"), "offset", "truncated chunk"}
		}},
		{"flipped bit", func(t *testing.T, trace string) {
			edit(t, filepath.Join(trace, "events"), func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b })
		}, func(trace string) []string { return []string{filepath.Join(trace, "events"), "offset", "checksum"} }},
		{"deleted copy", func(t *testing.T, trace string) {
			copies, _ := filepath.Glob(filepath.Join(trace, "files", "libc*"))
			if len(copies) == 0 {
				t.Fatal("no copy of libc in the trace")
			}
			os.Remove(copies[0])
		}, func(trace string) []string {
			return []string{filepath.Join(trace, "files", "libc"), "offset", "missing"}
		}},
		{"missing header", func(t *testing.T, trace string) {
			os.Remove(filepath.Join(trace, "header.json"))
		}, func(trace string) []string { return []string{"header.json", "not a rewind trace"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			copyDir(t, good, trace)
			c.damage(t, trace)
			r := Run(t, "", nil, Rewind(t), "check", trace)
			checkErrorLine(t, r, 125, false, c.mention(trace)...)
		})
	}
}
