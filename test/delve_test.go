package test

// End-to-end tests of Delve (the dlv of the version go.mod names, which
// scripts/setup.sh test installs) debugging rewind's recordings the way
// Delve users do, through Delve's rr backend: dlv runs "rr" from PATH,
// which is rewind (RRLinkDir), for "rr record" and "rr replay --dbgport=0".
// Four ways in:
//
//   - dlv's terminal on "dlv replay TRACE" (commands on stdin);
//   - "dlv replay --headless" driven by Delve's own JSON-RPC client
//     (service/rpc2), as editors and "dlv connect" use it;
//   - "dlv debug|exec --backend=rr", which records through rewind first;
//   - "dlv dap" spoken to over TCP as VS Code's Go extension does, with
//     {"mode": "replay", "traceDirPath": TRACE}.
//
// Each runs on two programs: goroutines (Go, what Delve is for) and demo
// (C, which Delve debugs too and rewind records today). Recording a Go
// program needs threads, which rewind does not record yet: those subtests
// fail at the record step and say so.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
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

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"
)

// dlvStepTimeout bounds each exchange with dlv: one command at its prompt
// (the first includes starting the replay), one request to its API.
const dlvStepTimeout = time.Minute

// delveProgram is a program the Delve tests debug, and the facts about
// one call of one of its functions that they check.
type delveProgram struct {
	name   string
	build  func(t *testing.T) string // returns the executable
	src    string                    // source file, relative to test/programs
	marker string                    // text on the line to break on
	fn     string                    // Delve's name of the function holding it
	cond   string                    // condition that picks one call
	// arg identifies that call; before is a value at the line, after the
	// value once "next" ran it.
	arg, before, after [2]string
	output             string // what the program prints
	isGo               bool
}

var delvePrograms = []delveProgram{
	{
		name: "go", build: func(t *testing.T) string { return BuildGo(t, "goroutines") },
		src: "goroutines/main.go", marker: "LINE:result", fn: "main.work", cond: "n == 5",
		arg: [2]string{"n", "5"}, before: [2]string{"sum", "55"}, after: [2]string{"result", "55"},
		output: "work(5) = 55\n", isGo: true,
	},
	{
		name: "c", build: func(t *testing.T) string { return Build(t, "demo") },
		src: "demo.c", marker: "balance += amount;", fn: "C.deposit", cond: "amount == 30",
		// Rounds 0-2 deposit 10, 20, 30.
		arg: [2]string{"amount", "30"}, before: [2]string{"balance", "30"}, after: [2]string{"balance", "60"},
		output: "final balance: ",
	},
}

// line returns the line of the breakpoint.
func (p delveProgram) line(t *testing.T) int {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(ProgramsDir(), p.src))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, p.marker) {
			return i + 1
		}
	}
	t.Fatalf("no line of %s contains %q", p.src, p.marker)
	return 0
}

// location is FILE:LINE as Delve's break command takes it.
func (p delveProgram) location(t *testing.T) string {
	return fmt.Sprintf("%s:%d", p.src, p.line(t))
}

// record records p with rewind record and returns the executable and the
// trace.
func (p delveProgram) record(t *testing.T) (exe, trace string) {
	t.Helper()
	Require(t, "ptrace")
	exe = p.build(t)
	trace = filepath.Join(t.TempDir(), "trace")
	r := Run(t, "", nil, Rewind(t), "record", "-o", trace, "--", exe)
	checkRecording(t, p, "rewind record -o "+trace+" "+exe, r)
	return exe, trace
}

// checkRecording checks that a recording of p (by what) went well, with a
// clear message for the Go program while rewind cannot record threads.
func checkRecording(t *testing.T, p delveProgram, what string, r Result) {
	t.Helper()
	if p.isGo && r.Code != 0 && bytes.Contains(r.Stderr, []byte("not supported yet")) {
		t.Fatalf("%s: rewind cannot record this Go program yet (Go programs start threads, which rewind does not record yet); "+
			"this test passes once thread support lands.\n%s", what, r)
	}
	if r.Code != 0 || !bytes.Contains(r.Stdout, []byte(p.output)) {
		t.Fatalf("%s: want exit code 0 and %q in the output:\n%s", what, p.output, r)
	}
}

// delveEnv is the environment for dlv: rewind's rr first on PATH, no
// colours, Delve's configuration and rewind's recordings in temporary
// directories. It also lowers perf_event_paranoid, which Delve checks.
func delveEnv(t *testing.T) []string {
	t.Helper()
	LowerPerfEventParanoid(t, 1)
	return []string{
		"PATH=" + RRLinkDir(t) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TERM=dumb",
		"XDG_CONFIG_HOME=" + t.TempDir(),
		"REWIND_TRACE_DIR=" + t.TempDir(),
		"DELVE_RR_RECORD_FLAGS", "DELVE_RR_REPLAY_FLAGS",
	}
}

// dlvStep is one command typed at dlv's prompt and what it must print.
type dlvStep struct {
	cmd  string
	want string // regexp for its output ("" for anything but an error)
	bug  string // if set, a failure is this known rewind bug
}

// promptWriter collects dlv's output (stdout and stderr, in order) and
// lets the test wait for its prompts.
type promptWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // poked after each write
}

func (w *promptWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(b)
	w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (w *promptWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until done says yes to the output so far, or dlv has
// exited, or dlvStepTimeout has passed; it returns done's last answer.
func (w *promptWriter) waitFor(done func(out string) bool, exited <-chan struct{}) bool {
	timeout := time.After(dlvStepTimeout)
	for !done(w.String()) {
		select {
		case <-w.wrote:
		case <-exited:
			return done(w.String())
		case <-timeout:
			return false
		}
	}
	return true
}

// dlvProc is a running dlv.
type dlvProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser // nil unless asked for
	out    *promptWriter  // stdout and stderr, in order
	exited chan struct{}
}

// startDlv starts dlv with args in dir, with a pipe to its stdin if
// withStdin; it is killed, with what it started, when t ends.
func startDlv(t *testing.T, dir string, env, args []string, withStdin bool) *dlvProc {
	t.Helper()
	p := &dlvProc{cmd: exec.Command(Dlv(t), args...), out: &promptWriter{wrote: make(chan struct{}, 1)}, exited: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = mergeEnv(os.Environ(), env)
	if withStdin {
		var err error
		if p.stdin, err = p.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// rr replay keeps dlv's stdout open after dlv is gone.
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill ends dlv and everything below it. Delve runs rr (rewind) in a
// process group of its own, so killing dlv's group is not enough; rewind's
// tracees die with it (PTRACE_O_EXITKILL).
func (p *dlvProc) kill() {
	below := descendants(p.cmd.Process.Pid)
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	for _, pid := range below {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	<-p.exited
}

// descendants returns the processes below pid, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		i := bytes.LastIndexByte(b, ')') // the command name may hold anything
		if err != nil || i < 0 {
			continue
		}
		// After the name: state, ppid, ...
		if f := strings.Fields(string(b[i+1:])); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], n)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// runDlvTerminal runs dlv with args in dir, types steps at its prompt one
// at a time (and "exit" after them), and checks what each printed; a
// command that does not come back to the prompt within dlvStepTimeout
// ends the session. first, if not nil, sees the whole output before the
// steps are checked.
func runDlvTerminal(t *testing.T, dir string, env []string, args []string, steps []dlvStep, first func(out string)) string {
	t.Helper()
	p := startDlv(t, dir, env, append(args, "--allow-non-terminal-interactive=true"), true)
	out, exited := p.out, p.exited
	hung := -1 // the step that did not come back
	for i, s := range append(steps, dlvStep{cmd: "exit"}) {
		prompts := func(out string) bool { return strings.Count(out, "(dlv) ") > i }
		if !out.waitFor(prompts, exited) {
			select {
			case <-exited:
			default:
				hung = i - 1
				if i == 0 {
					t.Errorf("dlv %s printed no prompt within %v", strings.Join(args, " "), dlvStepTimeout)
				}
			}
			break
		}
		io.WriteString(p.stdin, s.cmd+"\n")
	}
	p.stdin.Close()
	if hung < 0 {
		select {
		case <-exited:
		case <-time.After(dlvStepTimeout):
			hung = len(steps)
		}
	}
	p.kill()
	all := out.String()
	if first != nil {
		first(all)
	}
	chunks := strings.Split(all, "(dlv) ")
	failed := false
	for i, s := range steps {
		fail := func(format string, a ...any) {
			failed = true
			msg := fmt.Sprintf("dlv step %d %q: %s", i, s.cmd, fmt.Sprintf(format, a...))
			if s.bug != "" {
				msg += "\n  (rewind bug: " + s.bug + ")"
			}
			t.Error(msg)
		}
		switch {
		case i == hung:
			fail("no answer within %v (dlv killed); it printed:\n%s", dlvStepTimeout, chunks[len(chunks)-1])
			continue
		case i+1 >= len(chunks) || (hung >= 0 && i > hung):
			fail("never ran (dlv ended early)")
			continue
		}
		got := chunks[i+1]
		if strings.Contains(got, "Command failed:") {
			fail("failed:\n%s", got)
		} else if s.want != "" && !regexp.MustCompile(s.want).MatchString(got) {
			fail("output does not match %q\n--- output:\n%s", s.want, got)
		}
	}
	if hung == len(steps) {
		failed = true
		t.Errorf("dlv did not exit within %v of the exit command", dlvStepTimeout)
	}
	if failed {
		t.Logf("whole dlv %s session:\n%s", strings.Join(args, " "), clip([]byte(all)))
	}
	return all
}

// stopAt matches Delve's line for a stop in fn at line (any if 0), at
// breakpoint bp if bp > 0.
func stopAt(fn string, line, bp int) string {
	b, l := "", `\d+`
	if bp > 0 {
		b = fmt.Sprintf(`\[Breakpoint %d\] `, bp)
	}
	if line > 0 {
		l = strconv.Itoa(line)
	}
	return fmt.Sprintf(`(?m)^> %s%s\(\) [^\n]*:%s `, b, regexp.QuoteMeta(fn), l)
}

// printed matches what dlv's print shows for value.
func printed(value string) string { return `^` + regexp.QuoteMeta(value) + `\n` }

// bugRestartAfterReverse: Delve resumes after vRun in the direction of its
// last command (bc after rewind or rev next); rewind keeps the replay at
// the checkpoint only for a forward continue, where rr's
// interrupt_pending stops any first resume.
const bugRestartAfterReverse = "after vRun;;c1 Delve sends bc when its last command went backwards; replayer.Target.Resume parks only a forward continue"

// bugDeleteCheckpoint: rr answers "Deleted checkpoint N." and Delve
// treats any other reply as the error message.
const bugDeleteCheckpoint = `qRRCmd:delete checkpoint must answer "Deleted checkpoint N." (rr's text); rewind deletes it but sends an empty reply, RSP's "unsupported", which Delve reports as an error`

// delveSteps is the session the terminal tests type: a conditional
// breakpoint, values, next and rev next, a checkpoint, rewind to the
// call's entry, restart at the checkpoint.
func delveSteps(t *testing.T, p delveProgram) []dlvStep {
	line := p.line(t)
	steps := []dlvStep{
		{cmd: "break " + p.location(t), want: fmt.Sprintf(`Breakpoint 1 set at 0x[0-9a-f]+ for %s\(\) [^\n]*:%d`, regexp.QuoteMeta(p.fn), line)},
		{cmd: "condition 1 " + p.cond},
		{cmd: "continue", want: stopAt(p.fn, line, 1)},
		{cmd: "print " + p.arg[0], want: printed(p.arg[1])},
		{cmd: "print " + p.before[0], want: printed(p.before[1])},
		{cmd: "next", want: stopAt(p.fn, line+1, 0)},
		{cmd: "print " + p.after[0], want: printed(p.after[1])},
		{cmd: "rev next", want: stopAt(p.fn, line, 0) + `|` + stopAt(p.fn, line, 1)},
		{cmd: "print " + p.before[0], want: printed(p.before[1])},
		{cmd: "checkpoint", want: `^Checkpoint c1 created\.`},
		{cmd: "checkpoints", want: fmt.Sprintf(`(?m)^c1\s+\d+\s+%s\(\) [^\n]*:%d `, regexp.QuoteMeta(p.fn), line)},
		{cmd: "clear 1", want: `Breakpoint 1 cleared`},
		{cmd: "break " + p.fn, want: `Breakpoint 2 set at`},
		// Back to the entry of the same call.
		{cmd: "rewind", want: stopAt(p.fn, 0, 2)},
		{cmd: "print " + p.arg[0], want: printed(p.arg[1])},
		{cmd: "restart c1", want: stopAt(p.fn, line, 0), bug: bugRestartAfterReverse},
		{cmd: "print " + p.before[0], want: printed(p.before[1]), bug: bugRestartAfterReverse},
		{cmd: "clear-checkpoint c1", bug: bugDeleteCheckpoint},
		{cmd: "checkpoints", want: `^ID\s+When\s+Note\n$`},
	}
	if p.isGo {
		// The worker pool: main and the four workers at least.
		steps = append(steps, dlvStep{cmd: "goroutines", want: `(?s)\* Goroutine \d+ - User: [^\n]*main\.work.*\[(\d\d+|[5-9]) goroutines\]`})
	}
	return steps
}

// TestDelveReplayTerminal debugs a recording with "dlv replay TRACE",
// typing commands at dlv's prompt.
func TestDelveReplayTerminal(t *testing.T) {
	for _, p := range delvePrograms {
		t.Run(p.name, func(t *testing.T) {
			env := delveEnv(t)
			_, trace := p.record(t)
			out := runDlvTerminal(t, "", env, []string{"replay", trace}, delveSteps(t, p), nil)
			if !strings.Contains(out, "Completed event: ") {
				t.Errorf("dlv printed no event number at its stops (qRRCmd when):\n%s", clip([]byte(out)))
			}
		})
	}
}

// TestDelveRecordBackendRR records with Delve's rr backend ("dlv debug
// --backend=rr" for the Go program, "dlv exec --backend=rr" for the C
// one), which runs "rr record --print-trace-dir=3", then replays it.
func TestDelveRecordBackendRR(t *testing.T) {
	for _, p := range delvePrograms {
		t.Run(p.name, func(t *testing.T) {
			Require(t, "ptrace")
			traces := t.TempDir() // where rr record (rewind) puts the recording
			env := append(delveEnv(t), "REWIND_TRACE_DIR="+traces)
			var args []string
			dir := ""
			if p.isGo {
				dir = ModuleRoot()
				args = []string{"debug", "--backend=rr", "--output", filepath.Join(t.TempDir(), "goroutines"), "./test/programs/goroutines"}
			} else {
				args = []string{"exec", "--backend=rr", p.build(t)}
			}
			line := p.line(t)
			steps := []dlvStep{
				{cmd: "break " + p.location(t)},
				{cmd: "condition 1 " + p.cond},
				{cmd: "continue", want: stopAt(p.fn, line, 1)},
				{cmd: "print " + p.before[0], want: printed(p.before[1])},
				{cmd: "next", want: stopAt(p.fn, line+1, 0)},
				{cmd: "print " + p.after[0], want: printed(p.after[1])},
				{cmd: "rev next", want: stopAt(p.fn, line, 0) + `|` + stopAt(p.fn, line, 1)},
				{cmd: "print " + p.before[0], want: printed(p.before[1])},
			}
			out := runDlvTerminal(t, dir, env, args, steps, func(out string) {
				if p.isGo && strings.Contains(out, "not supported yet") {
					t.Fatalf("dlv %s: rewind cannot record this Go program yet (Go programs start threads, which rewind does not record yet); "+
						"this test passes once thread support lands.\n%s", strings.Join(args, " "), clip([]byte(out)))
				}
				if ents, _ := os.ReadDir(traces); len(ents) == 0 {
					t.Fatalf("dlv %s left no recording in $REWIND_TRACE_DIR (%s):\n%s", strings.Join(args, " "), traces, clip([]byte(out)))
				}
			})
			if !strings.Contains(out, p.output) {
				t.Errorf("the program's output %q is not in dlv's (the recording runs in the foreground):\n%s", p.output, clip([]byte(out)))
			}
		})
	}
}

// startDlvServer starts dlv with args (a headless or DAP server listening
// on 127.0.0.1:0) and returns the address it printed after prefix. The
// process group is killed when t ends; the returned func waits for dlv to
// exit by itself and fails t after a deadline.
func startDlvServer(t *testing.T, env []string, prefix string, args ...string) (addr string, log func() string, wait func()) {
	t.Helper()
	p := startDlv(t, "", env, args, false)
	log = func() string { return clip([]byte(p.out.String())) }
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(prefix) + `\s*(\S+)\n`)
	if !p.out.waitFor(re.MatchString, p.exited) {
		t.Fatalf("dlv %s printed no %q:\n%s", strings.Join(args, " "), prefix, log())
	}
	addr = re.FindStringSubmatch(p.out.String())[1]
	wait = func() {
		t.Helper()
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			t.Errorf("dlv %s still running 15s after the client asked it to end:\n%s", strings.Join(args, " "), log())
		}
	}
	return addr, log, wait
}

// stepConn gives each request written on a connection dlvStepTimeout to
// be answered, so that a stub that stops answering fails the test with an
// i/o timeout instead of hanging it.
type stepConn struct{ net.Conn }

func (c stepConn) Write(b []byte) (int, error) {
	c.SetDeadline(time.Now().Add(dlvStepTimeout))
	return c.Conn.Write(b)
}

// TestDelveHeadlessRPC debugs a recording with "dlv replay --headless"
// through Delve's JSON-RPC client (service/rpc2): what "dlv connect" and
// editors use.
func TestDelveHeadlessRPC(t *testing.T) {
	for _, p := range delvePrograms {
		t.Run(p.name, func(t *testing.T) {
			env := delveEnv(t)
			_, trace := p.record(t)
			line := p.line(t)
			addr, dlvLog, wait := startDlvServer(t, env, "API server listening at:",
				"replay", "--headless", "--listen", "127.0.0.1:0", "--api-version", "2", "--accept-multiclient", trace)
			connect := func() *rpc2.RPCClient {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatalf("dialing dlv at %s: %v", addr, err)
				}
				return rpc2.NewClientFromConn(stepConn{conn})
			}
			c := connect()
			defer func() {
				if t.Failed() {
					t.Logf("dlv:\n%s", dlvLog())
				}
			}()
			if !c.Recorded() {
				t.Errorf("Recorded() = false for a replay")
			}
			if dir, err := c.TraceDirectory(); err != nil || dir != trace {
				t.Errorf("TraceDirectory() = %q, %v; want %q", dir, err, trace)
			}
			cfg := api.LoadConfig{MaxStringLen: 64, MaxArrayValues: 64}
			eval := func(what string, v [2]string) {
				t.Helper()
				got, err := c.EvalVariable(api.EvalScope{GoroutineID: -1}, v[0], cfg)
				if err != nil || got.Value != v[1] {
					t.Errorf("%s: %s = %v (%v), want %s", what, v[0], got, err, v[1])
				}
			}
			at := func(what string, st *api.DebuggerState, err error, line int) {
				t.Helper()
				if err == nil && st != nil && st.Err != nil {
					err = st.Err
				}
				if err != nil || st == nil || st.CurrentThread == nil {
					t.Fatalf("%s: %v (state %+v)", what, err, st)
				}
				th := st.CurrentThread
				if th.Function == nil || th.Function.Name() != p.fn || (line > 0 && th.Line != line) {
					t.Errorf("%s: stopped at %s:%d in %v, want %s line %d", what, th.File, th.Line, th.Function, p.fn, line)
				}
			}

			bp, err := c.CreateBreakpoint(&api.Breakpoint{File: filepath.Join(ProgramsDir(), p.src), Line: line, Cond: p.cond})
			if err != nil {
				t.Fatalf("CreateBreakpoint %s: %v", p.location(t), err)
			}
			st := <-c.Continue()
			at("Continue", st, nil, line)
			eval("at the breakpoint", p.arg)
			eval("at the breakpoint", p.before)
			st, err = c.Next()
			at("Next", st, err, line+1)
			eval("after Next", p.after)
			st, err = c.ReverseNext()
			at("ReverseNext", st, err, line)
			eval("after ReverseNext", p.before)
			cp, err := c.Checkpoint("rpc")
			if err != nil {
				t.Fatalf("Checkpoint: %v", err)
			}
			if cps, err := c.ListCheckpoints(); err != nil || len(cps) != 1 || cps[0].ID != cp || cps[0].Where != "rpc" {
				t.Errorf("ListCheckpoints = %+v, %v; want checkpoint %d at \"rpc\"", cps, err, cp)
			}
			if _, err := c.ClearBreakpoint(bp.ID); err != nil {
				t.Errorf("ClearBreakpoint: %v", err)
			}
			if _, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: p.fn}); err != nil {
				t.Fatalf("CreateBreakpoint %s: %v", p.fn, err)
			}
			st = <-c.Rewind()
			at("Rewind to the call's entry", st, nil, 0)
			eval("after Rewind", p.arg)

			// A second client sees the same stop (--accept-multiclient).
			c2 := connect()
			if st2, err := c2.GetState(); err != nil || st2.CurrentThread == nil || st2.CurrentThread.PC != st.CurrentThread.PC {
				t.Errorf("second client's GetState = %+v, %v; want pc %#x", st2, err, st.CurrentThread.PC)
			}

			if _, err := c.RestartFrom(false, "c"+strconv.Itoa(cp), false, nil, [3]string{}, false); err != nil {
				t.Errorf("RestartFrom c%d: %v", cp, err)
			} else {
				st, err = c.GetState()
				if err == nil && st.CurrentThread != nil && st.CurrentThread.Line != line {
					t.Errorf("after RestartFrom c%d at line %d, want %d (rewind bug: %s)", cp, st.CurrentThread.Line, line, bugRestartAfterReverse)
				} else {
					eval("after RestartFrom", p.before)
				}
			}
			if err := c.ClearCheckpoint(cp); err != nil {
				t.Errorf("ClearCheckpoint(%d): %v (rewind bug: %s)", cp, err, bugDeleteCheckpoint)
			}
			if err := c.Detach(true); err != nil {
				t.Errorf("Detach(kill): %v", err)
			}
			wait()
		})
	}
}

// dapClient speaks the Debug Adapter Protocol to "dlv dap": messages are
// JSON with a Content-Length header; responses are matched to requests by
// seq, and events queue up until asked for.
type dapClient struct {
	t      *testing.T
	conn   net.Conn
	r      *bufio.Reader
	seq    int
	events []map[string]any
	log    strings.Builder
}

func (d *dapClient) send(command string, args any) int {
	d.t.Helper()
	d.seq++
	b, err := json.Marshal(map[string]any{"seq": d.seq, "type": "request", "command": command, "arguments": args})
	if err != nil {
		d.t.Fatal(err)
	}
	fmt.Fprintf(&d.log, "-> %s\n", b)
	if _, err := fmt.Fprintf(d.conn, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		d.t.Fatalf("sending %s: %v", command, err)
	}
	return d.seq
}

// read reads one message.
func (d *dapClient) read() map[string]any {
	d.t.Helper()
	n := -1
	for {
		line, err := d.r.ReadString('\n')
		if err != nil {
			d.t.Fatalf("reading from dlv dap: %v\n--- exchange:\n%s", err, d.log.String())
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	if n < 0 {
		d.t.Fatalf("DAP message without Content-Length\n--- exchange:\n%s", d.log.String())
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.t.Fatalf("reading a DAP message: %v", err)
	}
	fmt.Fprintf(&d.log, "<- %s\n", b)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		d.t.Fatalf("DAP message %s: %v", b, err)
	}
	return m
}

// request sends a request and returns its response's body; an
// unsuccessful response fails the test.
func (d *dapClient) request(command string, args any) map[string]any {
	d.t.Helper()
	seq := d.send(command, args)
	for {
		m := d.read()
		switch m["type"] {
		case "event":
			d.events = append(d.events, m)
		case "response":
			if rs, _ := m["request_seq"].(float64); int(rs) != seq {
				continue
			}
			if ok, _ := m["success"].(bool); !ok {
				d.t.Fatalf("DAP %s failed: %v\n--- exchange:\n%s", command, m["message"], d.log.String())
			}
			body, _ := m["body"].(map[string]any)
			return body
		case "request": // reverse requests (runInTerminal): not expected
			d.t.Fatalf("unexpected request from dlv dap: %v", m)
		}
	}
}

// event returns the body of the oldest event named name not yet taken,
// reading more as needed and keeping the others; a terminated or exited
// event before it fails the test.
func (d *dapClient) event(name string) map[string]any {
	d.t.Helper()
	for i := 0; ; i++ {
		for i >= len(d.events) {
			if m := d.read(); m["type"] == "event" {
				d.events = append(d.events, m)
			}
		}
		m := d.events[i]
		ev := m["event"]
		if ev == name {
			d.events = append(d.events[:i:i], d.events[i+1:]...)
			body, _ := m["body"].(map[string]any)
			return body
		}
		if ev == "terminated" || ev == "exited" {
			d.t.Fatalf("DAP event %q while waiting for %q\n--- exchange:\n%s", ev, name, d.log.String())
		}
	}
}

// dapGet follows keys and list indexes (as decimal strings) in v.
func dapGet(v any, path ...string) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// TestDelveDAP debugs a recording through "dlv dap" as VS Code's Go
// extension does with {"mode": "replay", "traceDirPath": TRACE}:
// breakpoints, stack, variables, next, stepBack and reverseContinue.
func TestDelveDAP(t *testing.T) {
	for _, p := range delvePrograms {
		t.Run(p.name, func(t *testing.T) {
			env := delveEnv(t)
			_, trace := p.record(t)
			line := p.line(t)
			addr, dlvLog, wait := startDlvServer(t, env, "DAP server listening at:", "dap", "--listen", "127.0.0.1:0")
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("dialing dlv dap at %s: %v", addr, err)
			}
			defer conn.Close()
			d := &dapClient{t: t, conn: stepConn{conn}, r: bufio.NewReader(conn)}
			defer func() {
				if t.Failed() {
					t.Logf("DAP exchange:\n%s\n--- dlv:\n%s", d.log.String(), dlvLog())
				}
			}()

			d.request("initialize", map[string]any{"clientID": "vscode", "adapterID": "go", "pathFormat": "path",
				"linesStartAt1": true, "columnsStartAt1": true, "supportsVariableType": true})
			d.request("launch", map[string]any{"request": "launch", "mode": "replay", "traceDirPath": trace})
			d.event("initialized")
			if c := d.event("capabilities"); dapGet(c, "capabilities", "supportsStepBack") != true {
				t.Errorf("capabilities after launching a replay: %v, want supportsStepBack", c)
			}
			b := d.request("setBreakpoints", map[string]any{"source": map[string]any{"path": filepath.Join(ProgramsDir(), p.src)},
				"breakpoints": []any{map[string]any{"line": line, "condition": p.cond}}})
			if dapGet(b, "breakpoints", "0", "verified") != true {
				t.Fatalf("setBreakpoints: %v", b)
			}
			d.request("configurationDone", nil)

			// stopped waits for a stop and returns the thread and top frame.
			stopped := func(what, reason string, wantLine int) (thread, frame float64) {
				t.Helper()
				ev := d.event("stopped")
				if reason != "" && ev["reason"] != reason {
					t.Errorf("%s: stopped because %v, want %s", what, ev["reason"], reason)
				}
				thread, _ = ev["threadId"].(float64)
				st := d.request("stackTrace", map[string]any{"threadId": thread, "startFrame": 0, "levels": 20})
				top := dapGet(st, "stackFrames", "0")
				name, _ := dapGet(top, "name").(string)
				l, _ := dapGet(top, "line").(float64)
				if name != p.fn || (wantLine > 0 && int(l) != wantLine) {
					t.Errorf("%s: top frame %v, want %s line %d", what, top, p.fn, wantLine)
				}
				frame, _ = dapGet(top, "id").(float64)
				return thread, frame
			}
			evaluate := func(what string, frame float64, v [2]string) {
				t.Helper()
				r := d.request("evaluate", map[string]any{"expression": v[0], "frameId": frame, "context": "watch"})
				if r["result"] != v[1] {
					t.Errorf("%s: %s = %v, want %s", what, v[0], r["result"], v[1])
				}
			}

			thread, frame := stopped("continue to the breakpoint", "breakpoint", line)
			// The Variables pane: the argument among the locals.
			sc := d.request("scopes", map[string]any{"frameId": frame})
			ref := dapGet(sc, "scopes", "0", "variablesReference")
			vars := d.request("variables", map[string]any{"variablesReference": ref})
			found := false
			for _, v := range dapGet(vars, "variables").([]any) {
				found = found || (dapGet(v, "name") == p.arg[0] && dapGet(v, "value") == p.arg[1])
			}
			if !found {
				t.Errorf("variables of scope %v: %v, want %s = %s", dapGet(sc, "scopes", "0", "name"), vars, p.arg[0], p.arg[1])
			}
			evaluate("at the breakpoint", frame, p.before)

			d.request("next", map[string]any{"threadId": thread})
			thread, frame = stopped("next", "step", line+1)
			evaluate("after next", frame, p.after)

			d.request("stepBack", map[string]any{"threadId": thread})
			thread, frame = stopped("stepBack", "", line)
			evaluate("after stepBack", frame, p.before)

			d.request("setBreakpoints", map[string]any{"source": map[string]any{"path": filepath.Join(ProgramsDir(), p.src)}, "breakpoints": []any{}})
			d.request("setFunctionBreakpoints", map[string]any{"breakpoints": []any{map[string]any{"name": p.fn}}})
			d.request("reverseContinue", map[string]any{"threadId": thread})
			_, frame = stopped("reverseContinue to the call's entry", "function breakpoint", 0)
			evaluate("after reverseContinue", frame, p.arg)

			d.request("disconnect", map[string]any{"terminateDebuggee": true})
			wait()
		})
	}
}
