package test

// End-to-end tests of lldb (lldb-22) against replays served by "rewind
// replay -s 0": lldb connects with gdb-remote and runs a list of commands
// given with -o (not -b: in batch mode lldb stops running commands after a
// signal stop). Each command's output is checked.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// lldbCommand is the lldb binary the tests run.
const lldbCommand = "lldb-22"

var lldbProbe = sync.OnceValue(func() error { return probeCommand(lldbCommand, "--version") })

// requireLLDB skips t unless lldb-22 runs, or fails it when CI is set, as
// Require does for its features.
func requireLLDB(t *testing.T) {
	t.Helper()
	err := lldbProbe()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("needs %s: %v (CI is set: not skipping)", lldbCommand, err)
	}
	t.Skipf("needs %s: %v", lldbCommand, err)
}

// lldbStep is one lldb command and what it must print.
type lldbStep struct {
	cmd   string
	want  []string                       // regexps its output must match
	check func(t *testing.T, out string) // more checks
	bug   string                         // if set, a failure is this known rewind bug
	// orLater accepts the output anywhere after the command, for what lldb
	// prints asynchronously (kill's "exited" may follow the next echo).
	orLater bool
}

// runLLDB serves trace, connects lldb to it and runs steps. With sourced
// false the steps are -o arguments, as a user types them; lldb then stops
// at the first command that fails. With sourced true they go through
// "command source -e false", which goes on after errors, for steps that
// are expected to fail.
func runLLDB(t *testing.T, trace string, sourced bool, steps []lldbStep) {
	t.Helper()
	srv := serveReplay(t, trace)
	args := []string{"--no-lldbinit", "--no-use-colors", srv.exe, "-o", "gdb-remote " + srv.addr}
	if sourced {
		var script strings.Builder
		for _, st := range steps {
			script.WriteString(st.cmd + "\n")
		}
		path := filepath.Join(t.TempDir(), "commands.lldb")
		if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-o", "command source -e false -c false "+path)
	} else {
		for _, st := range steps {
			args = append(args, "-o", st.cmd)
		}
	}
	args = append(args, "-o", "quit")
	r := runBounded(t, clientTimeout, lldbCommand, args...)

	// lldb echoes each command as "(lldb) CMD"; what follows up to the
	// next echo is its output.
	outs := map[int]string{}
	later := map[int]*strings.Builder{} // output from a step's echo to the end
	next := 0
	cur := -1
	var conn strings.Builder
	for _, line := range strings.Split(string(r.Stdout), "\n") {
		for _, b := range later {
			b.WriteString(line + "\n")
		}
		if cmd, ok := strings.CutPrefix(line, "(lldb) "); ok {
			cur = -1
			if next < len(steps) && cmd == steps[next].cmd {
				cur = next
				later[cur] = &strings.Builder{}
				next++
			} else if strings.HasPrefix(cmd, "gdb-remote ") {
				cur = -2
			}
			continue
		}
		switch {
		case cur >= 0:
			outs[cur] += line + "\n"
		case cur == -2:
			conn.WriteString(line + "\n")
		}
	}
	// Errors go to stderr, without the command: they are checked by what
	// the command should have printed instead.
	failed := false
	if !regexp.MustCompile(`Process \d+ stopped\n`).MatchString(conn.String()) {
		failed = true
		t.Errorf("gdb-remote %s: %q, want the process stopped", srv.addr, conn.String())
	}
	for i, st := range steps {
		fail := func(format string, a ...any) {
			failed = true
			msg := fmt.Sprintf("lldb step %d %q: %s", i, st.cmd, fmt.Sprintf(format, a...))
			if st.bug != "" {
				msg += "\n  (rewind bug: " + st.bug + ")"
			}
			t.Error(msg)
		}
		if i >= next {
			fail("never ran (lldb stopped early)")
			continue
		}
		out := outs[i]
		if st.orLater {
			out = later[i].String()
		}
		for _, w := range st.want {
			if !regexp.MustCompile(w).MatchString(out) {
				fail("output does not match %q\n--- output:\n%s", w, out)
			}
		}
		if st.check != nil {
			st.check(t, out)
		}
	}
	if failed || t.Failed() {
		t.Logf("whole lldb run:\n%s\n--- rewind:\n%s", r, srv.log())
	}
}

// TestLLDBDemo debugs the demo with lldb: a breakpoint, variables, a
// backtrace through libc, registers, stepping, an ignore count that finds
// the bad round, the end of the recording, and kill.
func TestLLDBDemo(t *testing.T) {
	Require(t, "ptrace")
	requireLLDB(t)
	trace, fin := demoTrace(t)
	final := strconv.Itoa(fin)
	bad := strconv.Itoa(fin - 480) // what round 6 deposits
	depositLine := sourceLine(t, "demo", "balance += amount;")
	callLine := sourceLine(t, "demo", "deposit(amount);")
	var bpAddr string

	runLLDB(t, trace, false, []lldbStep{
		{cmd: "breakpoint set -n deposit",
			want: []string{fmt.Sprintf("Breakpoint 1: where = demo`deposit \\+ \\d+ at demo\\.c:%d:\\d+, address = 0x[0-9a-f]+", depositLine)},
			check: func(t *testing.T, out string) {
				if m := regexp.MustCompile(`address = (0x[0-9a-f]+)`).FindStringSubmatch(out); m != nil {
					bpAddr = m[1]
				}
			}},
		{cmd: "continue", want: []string{`stop reason = breakpoint 1\.1`,
			fmt.Sprintf("frame #0: 0x[0-9a-f]+ demo`deposit\\(amount=10\\) at demo\\.c:%d", depositLine)}},
		{cmd: "frame variable", want: []string{`(?m)^\(int\) amount = 10$`}},
		{cmd: "bt", want: []string{
			fmt.Sprintf("\\* frame #0: 0x[0-9a-f]+ demo`deposit\\(amount=10\\) at demo\\.c:%d", depositLine),
			fmt.Sprintf("frame #1: 0x[0-9a-f]+ demo`main at demo\\.c:%d", callLine),
			"frame #2: 0x[0-9a-f]+ libc\\.so\\.6`__libc_start_call_main",
		}},
		{cmd: "register read rip", want: []string{"rip = 0x0*555555[0-9a-f]+ demo`deposit \\+ \\d+"},
			check: func(t *testing.T, out string) {
				m := regexp.MustCompile(`rip = (0x[0-9a-f]+)`).FindStringSubmatch(out)
				if m == nil || bpAddr == "" {
					return
				}
				a, _ := strconv.ParseUint(m[1], 0, 64)
				b, _ := strconv.ParseUint(bpAddr, 0, 64)
				if a != b {
					t.Errorf("rip %s at the breakpoint, want the breakpoint's address %s", m[1], bpAddr)
				}
			}},
		{cmd: "register read fs_base", want: []string{`fs_base = 0x0*7f[0-9a-f]+`}},
		{cmd: "thread list", check: func(t *testing.T, out string) {
			if n := len(regexp.MustCompile(`(?m)^\* thread #\d+: tid = \d+`).FindAllString(out, -1)); n != 1 ||
				strings.Contains(out, "thread #2") {
				t.Errorf("thread list: want one thread, got:\n%s", out)
			}
		}},
		{cmd: "thread step-over", want: []string{`stop reason = step over`,
			fmt.Sprintf("demo`deposit\\(amount=10\\) at demo\\.c:%d", depositLine+1)}},
		{cmd: "frame variable", want: []string{`(?m)^\(int\) amount = 10$`}},
		{cmd: "p balance", want: []string{`(?m)^\(int\) 10$`}},
		// Skip rounds 1-5: the next stop is round 6, the bad deposit.
		{cmd: "breakpoint modify -i 5 1"},
		{cmd: "continue", want: []string{`stop reason = breakpoint 1\.1`, "demo`deposit\\(amount=" + regexp.QuoteMeta(bad) + "\\)"}},
		{cmd: "p balance", want: []string{`(?m)^\(int\) 210$`}},
		{cmd: "thread step-out", want: []string{`stop reason = step out`, "demo`main at demo\\.c"}},
		{cmd: "frame variable round", want: []string{`(?m)^\(int\) round = 6$`}},
		{cmd: "image list", want: []string{`/demo\s`, `ld-linux-x86-64\.so\.2`, `libc\.so\.6`}},
		{cmd: "breakpoint delete -f", want: []string{`All breakpoints removed`}},
		{cmd: "continue", want: []string{`stop reason = history boundary`, "_exit"}},
		{cmd: "p balance", want: []string{`(?m)^\(int\) ` + regexp.QuoteMeta(final) + `$`}},
		{cmd: "kill", want: []string{`Process \d+ exited with status = 9`}, orLater: true},
	})
}

// TestLLDBExpressions checks what lldb needs its expression evaluator for:
// breakpoint conditions, expressions with arithmetic, address expressions
// in backquotes; and that writes are refused without ending the session.
func TestLLDBExpressions(t *testing.T) {
	Require(t, "ptrace")
	requireLLDB(t)
	prog := Build(t, "debugme")
	trace, _ := recordTrace(t, prog)
	squareLine := sourceLine(t, "debugme", "LINE:square-body")
	reportLine := sourceLine(t, "debugme", "LINE:report-body")
	const allocBug = `lldb sends "_M1000,rwx" then "_M1000,rw" to allocate memory for the expression; rewind answers "E0d;<writes ... refused during replay>", ` +
		`and lldb then gives up with "Couldn't allocate space for materialized struct: Couldn't malloc: address space is full". ` +
		`With an empty (unsupported) reply to _M, lldb falls back to evaluating on the host and all of these work (checked with a proxy)`

	runLLDB(t, trace, true, []lldbStep{
		{cmd: `breakpoint set -n square -c "v == 3"`, want: []string{"Breakpoint 1: where = debugme`square"}},
		{cmd: "continue", want: []string{fmt.Sprintf("debugme`square\\(v=3\\) at debugme\\.c:%d", squareLine)}, bug: allocBug},
		{cmd: "expr v + 1", want: []string{`(?m)^\(int\) \$\d+ = 4$`}, bug: allocBug},
		{cmd: "memory read -f s `greeting`", want: []string{`(?m)^0x[0-9a-f]+: "hello, debugger"$`}, bug: allocBug},
		{cmd: "p origin", want: []string{`\(x = 3, y = -4, name = "origin"\)`}},
		{cmd: "p greeting", want: []string{`"hello, debugger"`}},
		{cmd: "breakpoint delete -f"},
		{cmd: "breakpoint set -n printf", want: []string{`Breakpoint 2: where = libc\.so\.6`}},
		{cmd: "continue", want: []string{`stop reason = breakpoint 2\.1`, "libc\\.so\\.6`(__)?printf"}},
		{cmd: "bt", want: []string{fmt.Sprintf("frame #1: 0x[0-9a-f]+ debugme`report\\(i=\\d, v=\\d+\\) at debugme\\.c:%d", reportLine+1)}},
		{cmd: "p counter", want: []string{`(?m)^\(int\) (7|8|9|10)$`}},
		// Writes: refused, and the values stay.
		{cmd: "expr counter = 99", check: func(t *testing.T, out string) {
			if strings.Contains(out, "99") {
				t.Errorf("expr counter = 99 printed %q: the write seems to have happened", out)
			}
		}},
		{cmd: "p counter", want: []string{`(?m)^\(int\) (7|8|9|10)$`}},
		{cmd: "register write rax 1"},
		{cmd: "register read rax", check: func(t *testing.T, out string) {
			if regexp.MustCompile(`rax = 0x0*1\n`).MatchString(out) {
				t.Errorf("register write rax 1 took effect: %s", out)
			}
		}},
		{cmd: "breakpoint delete -f"},
		{cmd: "continue", want: []string{`stop reason = history boundary`}},
		{cmd: "p counter", want: []string{`(?m)^\(int\) 17$`}},
		{cmd: "kill", want: []string{`Process \d+ exited`}, orLater: true},
	})
}

// TestLLDBReverse goes backwards with lldb-22's own command: process
// continue -R stops at the previous breakpoint hit with the values of
// then, and at the start of the recording (history boundary) when none is
// left.
func TestLLDBReverse(t *testing.T) {
	Require(t, "ptrace")
	requireLLDB(t)
	trace, _ := demoTrace(t)
	runLLDB(t, trace, false, []lldbStep{
		{cmd: "breakpoint set -n deposit", want: []string{"Breakpoint 1: where = demo`deposit"}},
		{cmd: "continue", want: []string{`stop reason = breakpoint 1\.1`, "deposit\\(amount=10\\)"}},
		{cmd: "continue", want: []string{`stop reason = breakpoint 1\.1`, "deposit\\(amount=20\\)"}},
		{cmd: "p balance", want: []string{`(?m)^\(int\) 10$`}},
		{cmd: "process continue -R", want: []string{`stop reason = breakpoint 1\.1`, "deposit\\(amount=10\\)"}},
		{cmd: "p balance", want: []string{`(?m)^\(int\) 0$`}},
		{cmd: "process continue -R", want: []string{`stop reason = history boundary`}},
		// The direction sticks until changed (lldb-22's -F).
		{cmd: "process continue -F", want: []string{`stop reason = breakpoint 1\.1`, "deposit\\(amount=10\\)"}},
	})
}
