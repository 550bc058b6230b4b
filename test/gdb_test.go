package test

// End-to-end tests that drive a real gdb (13, as Debian ships it) against
// replays served by rewind: "rewind replay TRACE -- -batch -nx -x ..." for
// scripted sessions, and "rewind replay -s 0 TRACE" with gdb connecting on
// its own for the Ctrl-C test. Every check looks at what gdb printed, so a
// stub that answers a packet wrongly fails here the way a user would see it.
//
// This file also holds the helpers that mi_test.go and lldb_test.go share:
// recording a fixture, serving a replay, finding source lines, and running a
// command with a deadline.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// clientTimeout bounds one debugger run (a whole scripted session).
const clientTimeout = 30 * time.Second

// gdbSessionTimeout bounds runGDBSteps; soak tests raise it.
var gdbSessionTimeout = clientTimeout

// recordTrace records prog with args into a fresh trace directory under
// t.TempDir and returns the directory and what the recording printed.
func recordTrace(t *testing.T, prog string, args ...string) (string, Result) {
	t.Helper()
	trace := filepath.Join(t.TempDir(), "trace")
	r := Run(t, "", nil, Rewind(t), append([]string{"record", "-o", trace, "--", prog}, args...)...)
	if r.Code != 0 {
		t.Fatalf("rewind record -o %s %s %v: %s", trace, prog, args, r)
	}
	return trace, r
}

// sourceLine returns the 1-based number of the first line of
// test/programs/<name>.c that contains substr.
func sourceLine(t *testing.T, name, substr string) int {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(ProgramsDir(), name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, substr) {
			return i + 1
		}
	}
	t.Fatalf("no line of %s.c contains %q", name, substr)
	return 0
}

// runBounded runs name with args in its own process group, with stdin from
// /dev/null, and kills the group if it is still running after timeout
// (which fails t). It returns stdout, stderr and the exit code.
func runBounded(t *testing.T, timeout time.Duration, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("%s: still running after %v, killed\n%s", strings.Join(cmd.Args, " "), timeout, r)
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			r.Code = ee.ExitCode()
		} else {
			t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
		}
	}
	return r
}

// replayServer is a running "rewind replay -s 0 [flags] TRACE".
type replayServer struct {
	addr string // 127.0.0.1:PORT from the printed gdb command line
	exe  string // the executable, last word of that line
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has been waited for
	// waitErr is how cmd ended; read it after done is closed.
	waitErr error

	mu     sync.Mutex
	stderr bytes.Buffer
	lines  chan string // every stderr line, for those who watch (dropped when full)
}

// log returns what rewind printed on stderr so far.
func (s *replayServer) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// launchLine is the line rewind prints for the user to start gdb.
var launchLine = regexp.MustCompile(`^  'gdb' .*'target extended-remote (127\.0\.0\.1:\d+)' '([^']+)'$`)

// serveReplay starts rewind replay -s 0 with flags on trace and waits for
// the gdb command line that says where it listens. The server's process
// group is killed when t ends.
func serveReplay(t *testing.T, trace string, flags ...string) *replayServer {
	t.Helper()
	s := &replayServer{done: make(chan struct{}), lines: make(chan string, 4096)}
	args := append([]string{"replay"}, flags...)
	args = append(args, "-s", "0", trace)
	s.cmd = exec.Command(Rewind(t), args...)
	s.cmd.Stdout = io.Discard
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
	ready := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
			select {
			case s.lines <- line:
			default:
			}
			if m := launchLine.FindStringSubmatch(line); m != nil && !seen {
				seen = true
				ready <- [2]string{m[1], m[2]}
			}
		}
		io.Copy(io.Discard, stderr)
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case f := <-ready:
		s.addr, s.exe = f[0], f[1]
	case <-s.done:
		t.Fatalf("rewind replay -s 0 %s exited before printing a gdb command line:\n%s", trace, s.log())
	case <-time.After(15 * time.Second):
		t.Fatalf("rewind replay -s 0 %s printed no gdb command line in 15s:\n%s", trace, s.log())
	}
	return s
}

// gdbStep is one command of a scripted gdb session and what it must print.
type gdbStep struct {
	cmd  string
	want string // regexp that the command's stdout must match; "" for none
	// err, if set, is a regexp that the command's error must match: the
	// command must fail. If empty, the command must not fail.
	err     string
	mayFail bool                           // the command may fail or not (at the edges of history)
	check   func(t *testing.T, out string) // more checks of stdout
	bug     string                         // if set, a failure is a known rewind bug, described here
	// target, if set, is a regexp for what the stub prints for a monitor
	// command. gdb writes that to its stderr (gdb_stdtarg), so the k-th
	// step with target set gets the k-th match in stderr, which check and
	// want then see instead of stdout.
	target string
}

// gdbSession is the outcome of running a list of gdbSteps.
type gdbSession struct {
	out    []string // stdout of each step
	errs   []string // error message of each step ("" if none)
	result Result   // the whole run
}

var (
	stepMarker = regexp.MustCompile(`(?m)^@@step (\d+)@@\n`)
	stepError  = regexp.MustCompile(`(?m)s(\d+)\.gdb:\d+: Error in sourced command file:\n(.*)$`)
)

// runGDBSteps writes each step into a script of its own (so that an error,
// which ends a sourced file in batch mode, only ends that step), runs gdb
// on the replay of trace with "rewind replay [flags] TRACE -- -batch -nx
// -x s000.gdb -x s001.gdb ...", and checks every step's output.
func runGDBSteps(t *testing.T, trace string, flags []string, steps []gdbStep) gdbSession {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"replay"}, flags...)
	args = append(args, trace, "--", "-batch", "-nx")
	for i, st := range steps {
		path := filepath.Join(dir, fmt.Sprintf("s%03d.gdb", i))
		script := fmt.Sprintf("echo @@step %d@@\\n\n%s\n", i, st.cmd)
		if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-x", path)
	}
	r := runBounded(t, gdbSessionTimeout, Rewind(t), args...)
	s := gdbSession{out: make([]string, len(steps)), errs: make([]string, len(steps)), result: r}

	stdout := string(r.Stdout)
	marks := stepMarker.FindAllStringSubmatchIndex(stdout, -1)
	seen := make([]bool, len(steps))
	for k, m := range marks {
		i, _ := strconv.Atoi(stdout[m[2]:m[3]])
		end := len(stdout)
		if k+1 < len(marks) {
			end = marks[k+1][0]
		}
		if i < len(steps) {
			s.out[i] = stdout[m[1]:end]
			seen[i] = true
		}
	}
	for _, m := range stepError.FindAllStringSubmatch(string(r.Stderr), -1) {
		i, _ := strconv.Atoi(m[1])
		if i < len(steps) {
			s.errs[i] = m[2]
		}
	}

	targetOut := map[string][]string{}
	for _, st := range steps {
		if st.target != "" && targetOut[st.target] == nil {
			targetOut[st.target] = regexp.MustCompile(st.target).FindAllString(string(r.Stderr), -1)
		}
	}

	failed := false
	for i, st := range steps {
		if st.target != "" && seen[i] {
			if outs := targetOut[st.target]; len(outs) > 0 {
				s.out[i], targetOut[st.target] = outs[0], outs[1:]
			} else {
				s.out[i] = ""
			}
		}
		fail := func(format string, a ...any) {
			failed = true
			msg := fmt.Sprintf("gdb step %d %q: %s", i, st.cmd, fmt.Sprintf(format, a...))
			if st.bug != "" {
				msg += "\n  (rewind bug: " + st.bug + ")"
			}
			t.Error(msg)
		}
		if !seen[i] {
			fail("never ran (gdb ended early?)")
			continue
		}
		switch {
		case st.mayFail:
		case st.err == "" && s.errs[i] != "":
			fail("failed: %s\n--- output:\n%s", s.errs[i], s.out[i])
		case st.err != "" && s.errs[i] == "":
			fail("succeeded, want an error matching %q\n--- output:\n%s", st.err, s.out[i])
		case st.err != "" && !regexp.MustCompile(st.err).MatchString(s.errs[i]):
			fail("error %q does not match %q", s.errs[i], st.err)
		}
		if st.want != "" && !regexp.MustCompile(st.want).MatchString(s.out[i]) {
			fail("output does not match %q\n--- output:\n%s", st.want, s.out[i])
		}
		if st.check != nil {
			st.check(t, s.out[i])
		}
	}
	if failed || t.Failed() {
		// Without the packet log, if any: it has a test of its own.
		shown := r
		shown.Stderr = []byte(withoutPackets(string(r.Stderr)))
		t.Logf("whole gdb run:\n%s", shown)
	}
	return s
}

// withoutPackets drops the lines of a -log-gdbwire packet log from log.
func withoutPackets(log string) string {
	var keep []string
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "-> ") && !strings.HasPrefix(line, "<- ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// gdbValue matches the value that gdb's print shows, "$N = VALUE".
func gdbValue(v string) string {
	return `(?m)^\$\d+ = ` + regexp.QuoteMeta(v) + `$`
}

// oneThread checks that info threads lists exactly one thread, in fn.
func oneThread(fn string) func(t *testing.T, out string) {
	return func(t *testing.T, out string) {
		t.Helper()
		rows := regexp.MustCompile(`(?m)^[* ] +\d+ +Thread \d+\.\d+ .*$`).FindAllString(out, -1)
		if len(rows) != 1 || !strings.HasPrefix(rows[0], "*") || !strings.Contains(rows[0], fn) {
			t.Errorf("info threads: want one current thread in %s, got:\n%s", fn, out)
		}
	}
}

// wireErrors returns, from a -log-gdbwire log, the packets other than
// writes that rewind answered with an error, as "packet -> reply".
func wireErrors(log string) []string {
	var bad []string
	seen := map[string]bool{}
	last := ""
	writes := []string{"M", "X", "P", "G", "_M", "_m", "QSaveRegisterState", "QRestoreRegisterState", "qXfer:siginfo:write"}
	for _, line := range strings.Split(log, "\n") {
		switch {
		case strings.HasPrefix(line, `-> "`):
			last = strings.TrimPrefix(line, "-> ")
		case strings.HasPrefix(line, `<- "E`):
			p, _ := strconv.Unquote(last)
			isWrite := false
			for _, w := range writes {
				if strings.HasPrefix(p, w) {
					isWrite = true
				}
			}
			if e := last + " -> " + strings.TrimPrefix(line, "<- "); !isWrite && !seen[e] {
				seen[e] = true
				bad = append(bad, e)
			}
		}
	}
	return bad
}

// TestGDBDebugme debugs a replay of debugme with gdb: breakpoints in the
// program and in libc, conditions, backtraces, registers, values, stepping
// commands, the end of the recording, monitor commands, refused writes, and
// a restart with "run" that must reach the first breakpoint again with the
// same values.
func TestGDBDebugme(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	prog := Build(t, "debugme")
	trace, rec := recordTrace(t, prog)
	if want := "len 15 fact 120 total 285 counter 17 x 18\n"; !strings.Contains(string(rec.Stdout), want) {
		t.Fatalf("recording printed %q, want it to contain %q", rec.Stdout, want)
	}

	squareLine := sourceLine(t, "debugme", "LINE:square-body")
	loopLine := sourceLine(t, "debugme", "LINE:loop-call")
	reportLine := sourceLine(t, "debugme", "LINE:report-body")
	strlenLine := sourceLine(t, "debugme", "LINE:strlen-call")
	factLine := sourceLine(t, "debugme", "long fact(int n) {") + 1
	file := `[^\n]*debugme\.c`

	var pcBefore, fsBase, endEvent string
	var firstBT string
	capture := func(re string, into *string) func(*testing.T, string) {
		return func(t *testing.T, out string) {
			if m := regexp.MustCompile(re).FindStringSubmatch(out); m != nil {
				*into = m[1]
			}
		}
	}

	steps := []gdbStep{
		{cmd: "set pagination off"},
		{cmd: "set confirm off"},
		// Breakpoints: a function with a condition, and file:line.
		{cmd: "break square if v == 3", want: fmt.Sprintf(`Breakpoint 1 at 0x[0-9a-f]+: file %s, line %d\.`, file, squareLine)},
		{cmd: fmt.Sprintf("break debugme.c:%d", strlenLine), want: fmt.Sprintf(`Breakpoint 2 at 0x[0-9a-f]+: file %s, line %d\.`, file, strlenLine)},
		{cmd: "continue", want: fmt.Sprintf(`Breakpoint 1, square \(v=3\) at %s:%d\n`, file, squareLine)},
		{cmd: "bt", want: fmt.Sprintf(`^#0  square \(v=3\) at %s:%d\n#1  0x[0-9a-f]+ in main \(\) at %s:%d\n$`, file, squareLine, file, loopLine),
			check: func(t *testing.T, out string) { firstBT = out }},
		// Values: argument, globals, a struct and its field, strings.
		{cmd: "print v", want: gdbValue("3")},
		{cmd: "print counter", want: gdbValue("10")},
		{cmd: "print total", want: gdbValue("5")},
		{cmd: "print origin", want: `(?m)^\$\d+ = \{x = 3, y = -4, name = 0x[0-9a-f]+ "origin"\}$`},
		{cmd: "print origin.y", want: gdbValue("-4")},
		{cmd: "print greeting", want: `(?m)^\$\d+ = 0x[0-9a-f]+ "hello, debugger"$`},
		{cmd: "x/s greeting", want: `(?m)^0x[0-9a-f]+:\s+"hello, debugger"$`},
		// Registers.
		{cmd: "info registers rip", want: `(?m)^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <square\+\d+>$`},
		{cmd: "info registers fs_base", want: `(?m)^fs_base\s+0x[1-9a-f][0-9a-f]*\s+\d+$`,
			check: capture(`fs_base\s+(0x[0-9a-f]+)`, &fsBase)},
		{cmd: "print $xmm0", want: `v4_float = \{.*v2_int64 = \{.*uint128 = `},
		{cmd: "print $ymm0.v8_int32", want: `(?m)^\$\d+ = \{(-?\d+, ){7}-?\d+\}$`},
		{cmd: "info threads", check: oneThread("square")},
		// Stepping.
		{cmd: "finish", want: fmt.Sprintf(`(?s)main \(\) at %s:%d\n.*Value returned is \$\d+ = 9\n`, file, loopLine)},
		{cmd: "next", want: fmt.Sprintf(`(?m)^%d\s+report\(i, squares\[i\]\);`, loopLine+1)},
		{cmd: "step", want: fmt.Sprintf(`report \(i=3, v=9\) at %s:%d\n%d\s+total \+= v;`, file, reportLine, reportLine)},
		{cmd: "next", want: fmt.Sprintf(`(?m)^%d\s+printf\(`, reportLine+1)},
		{cmd: "print total", want: gdbValue("14")},
		{cmd: "until", want: fmt.Sprintf(`(?m)^%d\s+}`, reportLine+2)},
		{cmd: "print/x $pc", check: capture(`= (0x[0-9a-f]+)`, &pcBefore)},
		{cmd: "stepi", want: `(?m)^0x[0-9a-f]+\s+\d+\s`},
		{cmd: "print/x $pc", check: func(t *testing.T, out string) {
			if pcBefore == "" || strings.Contains(out, "= "+pcBefore+"\n") {
				t.Errorf("stepi did not move the pc from %q: %s", pcBefore, out)
			}
		}},
		{cmd: "up", want: fmt.Sprintf(`#1  0x[0-9a-f]+ in main \(\) at %s:%d`, file, loopLine+1)},
		{cmd: "print i", want: gdbValue("3")},
		{cmd: "print squares[3]", want: gdbValue("9")},
		{cmd: "print squares[2] + squares[1]", want: gdbValue("5")},
		{cmd: "down"},
		// A breakpoint in libc: printf, which gdb names __printf.
		{cmd: "delete 1"},
		{cmd: "break printf", want: `Breakpoint 3 at 0x[0-9a-f]+`},
		{cmd: "continue", want: `Breakpoint 3, (__)?printf \(format=0x[0-9a-f]+ "report %d: %ld\\n"\)`},
		{cmd: "bt", want: fmt.Sprintf(`(?s)^#0  (__)?printf \(.*\n#1  0x[0-9a-f]+ in report \(i=4, v=16\) at %s:%d\n#2  0x[0-9a-f]+ in main \(\) at %s:%d\n$`,
			file, reportLine+1, file, loopLine+1)},
		{cmd: "info registers rip", want: `(?m)^rip\s+0x7f[0-9a-f]+\s+0x[0-9a-f]+ <(__)?printf(\+\d+)?>$`},
		{cmd: "delete 3"},
		{cmd: "continue", want: fmt.Sprintf(`Breakpoint 2, main \(\) at %s:%d\n`, file, strlenLine)},
		{cmd: "print counter", want: gdbValue("17")},
		{cmd: "print total", want: gdbValue("285")},
		// strlen in libc: an IFUNC, reached through the PLT from main.
		{cmd: "break strlen", want: `Breakpoint 4 at 0x[0-9a-f]+`},
		{cmd: "continue", want: `Breakpoint 4(\.\d+)?, [^\n]*strlen`},
		{cmd: "bt", want: fmt.Sprintf(`(?m)^#\d+  0x[0-9a-f]+ in main \(\) at %s:%d$`, file, strlenLine)},
		{cmd: "delete 4"},
		// Recursion.
		{cmd: "break fact if n == 2", want: `Breakpoint 5 at 0x[0-9a-f]+`},
		{cmd: "continue", want: fmt.Sprintf(`Breakpoint 5, fact \(n=2\) at %s:%d\n`, file, factLine)},
		{cmd: "bt", want: `(?s)^#0  fact \(n=2\) .*\n#1  0x[0-9a-f]+ in fact \(n=3\) .*\n#2  0x[0-9a-f]+ in fact \(n=4\) .*\n#3  0x[0-9a-f]+ in fact \(n=5\) .*\n#4  0x[0-9a-f]+ in main \(\) .*\n$`},
		{cmd: "finish", want: `Value returned is \$\d+ = 2\n`},
		{cmd: "finish", want: `Value returned is \$\d+ = 6\n`},
		{cmd: "frame function main", want: `in main \(\) at `},
		{cmd: "print len", want: gdbValue("15")},
		// The end of the recording: the program stays inspectable.
		{cmd: "delete"},
		{cmd: "continue", want: `(?s)No more reverse-execution history\.\n.*_exit`},
		{cmd: "monitor when", target: `Completed event: \d+\n`, want: `^Completed event: \d+\n$`, check: capture(`Completed event: (\d+)`, &endEvent)},
		{cmd: "info threads", check: oneThread("_exit")},
		{cmd: "print counter", want: gdbValue("17")},
		{cmd: "print total", want: gdbValue("285")},
		{cmd: "print origin.x", want: gdbValue("18")},
		// Writes are refused, and the session goes on.
		{cmd: "set var counter = 99", err: `(?i)replay|Cannot access memory`},
		{cmd: "print counter", want: gdbValue("17")},
		{cmd: "set var $rax = 1", err: `(?i)replay|Could not write register`},
		// run restarts the replay (vRun): the first breakpoint again, with
		// the same values.
		{cmd: "break square if v == 3", want: `Breakpoint 6 at 0x[0-9a-f]+`},
		{cmd: "run", want: fmt.Sprintf(`Breakpoint 6, square \(v=3\) at %s:%d\n`, file, squareLine),
			bug: `if "run" fails with "Could not write register \"orig_rax\"": after vRun gdb sends "P39=ffffffffffffffff" (orig_rax = -1) and rewind answers E0d; rr accepts and ignores orig_rax writes outside diversions for exactly this`},
		{cmd: "info threads", check: oneThread("square")},
		{cmd: "bt", check: func(t *testing.T, out string) {
			if out != firstBT {
				t.Errorf("bt after run:\n%s\nwant the same as the first time:\n%s", out, firstBT)
			}
		}},
		{cmd: "print counter", want: gdbValue("10")},
		{cmd: "print total", want: gdbValue("5")},
		{cmd: "info registers fs_base", check: func(t *testing.T, out string) {
			if fsBase == "" || !strings.Contains(out, fsBase) {
				t.Errorf("fs_base after run: %s, want %s as the first time", out, fsBase)
			}
		}},
		{cmd: "monitor when", target: `Completed event: \d+\n`, check: func(t *testing.T, out string) {
			m := regexp.MustCompile(`Completed event: (\d+)`).FindStringSubmatch(out)
			end, _ := strconv.Atoi(endEvent)
			if m == nil {
				t.Errorf("monitor when after run printed %q", out)
			} else if n, _ := strconv.Atoi(m[1]); n >= end {
				t.Errorf("monitor when after run: event %d, want less than %d (the end)", n, end)
			}
		}},
	}
	// The packet log goes to a file: written to the stderr gdb shares, it
	// could land inside a line gdb prints there, such as "monitor when"'s.
	wire := filepath.Join(t.TempDir(), "wire.log")
	runGDBSteps(t, trace, []string{"-log-gdbwire-file", wire}, steps)
	packets, err := os.ReadFile(wire)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(packets, []byte(`-> "vCont`)) {
		t.Errorf("the packet log holds no vCont:\n%s", clip(packets))
	}
	for _, e := range wireErrors(string(packets)) {
		t.Errorf("rewind answered a packet gdb sent with an error: %s", e)
	}
}

// TestGDBDemo debugs the bundled demo: the conditional breakpoint from its
// comments finds the bad round, finish shows the bad amount, and the final
// balance at the last printf is the one the recording printed.
func TestGDBDemo(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	trace, final := demoTrace(t)
	// Rounds 0-5 and 7-9 deposit 480 in all; round 6 deposits the bad amount.
	bad := final - 480
	finalLine := sourceLine(t, "demo", `printf("final balance`)
	depositLine := sourceLine(t, "demo", "balance += amount;")
	file := `[^\n]*demo\.c`

	runGDBSteps(t, trace, nil, []gdbStep{
		{cmd: "set pagination off"},
		{cmd: "break deposit", want: fmt.Sprintf(`Breakpoint 1 at 0x[0-9a-f]+: file %s, line %d\.`, file, depositLine)},
		{cmd: "continue", want: fmt.Sprintf(`Breakpoint 1, deposit \(amount=10\) at %s:%d`, file, depositLine)},
		{cmd: "print balance", want: gdbValue("0")},
		{cmd: "next"},
		{cmd: "print balance", want: gdbValue("10")},
		{cmd: "delete"},
		{cmd: "break amount_for if round == 6", want: `Breakpoint 2 at 0x[0-9a-f]+`},
		{cmd: "continue", want: `Breakpoint 2, amount_for \(round=6\) at `},
		{cmd: "print balance", want: gdbValue("210")},
		{cmd: "finish", want: fmt.Sprintf(`Value returned is \$\d+ = %d\n`, bad)},
		{cmd: fmt.Sprintf("break demo.c:%d", finalLine), want: fmt.Sprintf(`Breakpoint 3 at 0x[0-9a-f]+: file %s, line %d\.`, file, finalLine)},
		{cmd: "continue", want: fmt.Sprintf(`Breakpoint 3, main \(\) at %s:%d`, file, finalLine)},
		{cmd: "print balance", want: gdbValue(strconv.Itoa(final))},
		{cmd: "continue", want: `No more reverse-execution history\.`},
		{cmd: "print balance", want: gdbValue(strconv.Itoa(final))},
	})
}

// TestGDBInterrupt checks Ctrl-C: gdb continues a long CPU-bound replay,
// gets SIGINT a second later and forwards it to rewind as an interrupt;
// the replay must stop promptly inside the loop, and continue to the end
// afterwards.
func TestGDBInterrupt(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	const n = "2000000000" // about 3 s of work, native or replayed
	prog := Build(t, "cpuloop")
	trace, _ := recordTrace(t, prog, n)

	srv := serveReplay(t, trace, "-log-gdbwire")
	cmd := exec.Command("gdb", "-batch", "-nx",
		"-ex", "set pagination off",
		"-ex", "set sysroot /",
		"-ex", "target extended-remote "+srv.addr,
		"-ex", "continue",
		"-ex", "print i",
		"-ex", "print n",
		"-ex", "bt",
		"-ex", "continue",
		srv.exe)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // SIGINT for gdb alone
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed once gdb has been waited for
	var mu sync.Mutex
	var out strings.Builder
	interrupted := make(chan time.Time, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "Program received signal SIGINT") {
				interrupted <- time.Now()
			}
		}
		cmd.Wait()
		close(exited)
	}()
	defer func() {
		select {
		case <-exited:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	output := func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf("--- gdb stdout:\n%s\n--- gdb stderr:\n%s\n--- rewind (no packets):\n%s", out.String(), stderr.String(), withoutPackets(srv.log()))
	}

	// Wait until gdb has resumed the replay, then let it run a second.
	deadline := time.After(15 * time.Second)
wait:
	for {
		select {
		case line := <-srv.lines:
			if strings.HasPrefix(line, `-> "vCont;c`) || line == `-> "c"` {
				break wait
			}
		case <-deadline:
			t.Fatalf("gdb did not resume the replay in 15s\n%s", output())
		}
	}
	time.Sleep(time.Second)
	sent := time.Now()
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-interrupted:
		t.Logf("gdb reported SIGINT %v after Ctrl-C", at.Sub(sent).Round(time.Millisecond))
		if d := at.Sub(sent); d > 1500*time.Millisecond {
			t.Errorf("gdb reported SIGINT %v after Ctrl-C, want promptly", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no SIGINT stop within 5s of Ctrl-C\n%s", output())
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("gdb still running 20s after the interrupt\n%s", output())
	}

	got := output()
	m := regexp.MustCompile(`(?m)^\$1 = (\d+)$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("print i printed no value\n%s", got)
	}
	limit, _ := strconv.ParseInt(n, 10, 64)
	if i, _ := strconv.ParseInt(m[1], 10, 64); i <= 0 || i >= limit {
		t.Errorf("interrupted at i = %s, want inside the loop (0 < i < %s)", m[1], n)
	}
	for _, want := range []string{
		`(?m)^Program received signal SIGINT, Interrupt\.$`,
		`(?m)^\$2 = ` + n + `$`,
		`(?m)^#0  (0x[0-9a-f]+ in )?main \(argc=2, argv=0x[0-9a-f]+\) at [^\n]*cpuloop\.c:\d+$`,
		`No more reverse-execution history\.`,
	} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("gdb output does not match %q\n%s", want, got)
		}
	}
}
