package test

// rewind replay -p/-f PID: gdb debugs a child process of the recording,
// chosen by its recorded pid as rewind ps lists it.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// psRow is one line of rewind ps.
type psRow struct{ pid, ppid, exit, cmd string }

// rewindPs runs rewind ps on trace and returns its rows.
func rewindPs(t *testing.T, trace string) []psRow {
	t.Helper()
	r := Run(t, "", nil, Rewind(t), "ps", trace)
	if r.Code != 0 {
		t.Fatalf("rewind ps %s: %s", trace, r)
	}
	lines := strings.Split(strings.TrimSpace(string(r.Stdout)), "\n")
	if len(lines) == 0 || strings.Join(strings.Fields(lines[0]), " ") != "PID PPID EXIT CMD" {
		t.Fatalf("rewind ps: no header line:\n%s", r.Stdout)
	}
	var rows []psRow
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 4 {
			t.Fatalf("rewind ps: short line %q", l)
		}
		rows = append(rows, psRow{f[0], f[1], f[2], strings.Join(f[3:], " ")})
	}
	return rows
}

// TestGDBProcessSelect records fork_exec_work, whose forked child, exec'd
// child and parent each run child_work(n) with their own n, and debugs
// each child with -f and -p: the breakpoint hits in that child only, gdb
// sees its pid, and reverse execution works within its history.
func TestGDBProcessSelect(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	prog := buildConc(t, "fork_exec_work")
	trace, rec := recordTrace(t, prog)
	if want := "forked child exited 85, exec'd child exited 55"; !strings.Contains(string(rec.Stdout), want) {
		t.Fatalf("recording printed %q, want %q", rec.Stdout, want)
	}

	rows := rewindPs(t, trace)
	if len(rows) != 3 || rows[0].ppid != "--" || rows[0].exit != "0" || rows[0].cmd != prog {
		t.Fatalf("rewind ps: want the parent first, then its two children:\n%+v", rows)
	}
	var forked, execd psRow
	for _, r := range rows[1:] {
		if r.ppid != rows[0].pid {
			t.Errorf("rewind ps: %s's parent is %s, want %s", r.pid, r.ppid, rows[0].pid)
		}
		switch r.cmd {
		case prog: // without exec: its parent's command
			forked = r
		case prog + " exec":
			execd = r
		}
	}
	if forked.exit != "85" || execd.exit != "55" {
		t.Fatalf("rewind ps: want a forked child that exited 85 and an exec'd one (%s exec) that exited 55:\n%+v", prog, rows)
	}

	file := `[^\n]*fork_exec_work\.c`
	atFork := `\b(arch_fork|__GI__Fork|_Fork|__libc_fork) \(` // right after the fork, in the child
	for _, tc := range []struct {
		flag, pid string
		n, sum    int
		begin     string // where its history starts
	}{
		{"-f", forked.pid, 10, 385, atFork},
		{"-p", forked.pid, 10, 385, atFork}, // never execs: from its fork too
		{"-p", execd.pid, 30, 9455, `in _start \(\)`},
		{"-f", execd.pid, 30, 9455, atFork}, // before its exec
	} {
		t.Run(tc.flag+"_"+map[string]string{forked.pid: "forked", execd.pid: "execd"}[tc.pid], func(t *testing.T) {
			hit := fmt.Sprintf(`Breakpoint 1, child_work \(n=%d\) at %s`, tc.n, file)
			inferior := `(?m)^\* 1 +process ` + tc.pid + ` `
			var beginPC string
			steps := []gdbStep{
				{cmd: "set pagination off"},
				{cmd: "set confirm off"},
				{cmd: "info inferiors", want: inferior},
				{cmd: "break child_work", want: `Breakpoint 1 at 0x[0-9a-f]+`},
				{cmd: "continue", want: hit},
				{cmd: "info threads", check: func(t *testing.T, out string) {
					rows := regexp.MustCompile(`(?m)^[* ] +\d+ +Thread (\d+)\.(\d+) `).FindAllStringSubmatch(out, -1)
					if len(rows) != 1 || rows[0][1] != tc.pid || rows[0][2] != tc.pid || !strings.Contains(out, "child_work") {
						t.Errorf("info threads: want the one thread %s.%s in child_work:\n%s", tc.pid, tc.pid, out)
					}
				}},
				{cmd: "finish", want: fmt.Sprintf(`Value returned is \$\d+ = %d`, tc.sum)},
				{cmd: "reverse-continue", want: hit},
				{cmd: "print n", want: gdbValue(fmt.Sprint(tc.n))},
				// Nothing earlier in this process: back to where its history starts.
				{cmd: "reverse-continue", want: `No more reverse-execution history`, check: func(t *testing.T, out string) {
					if !regexp.MustCompile(tc.begin).MatchString(out) {
						t.Errorf("reverse-continue stopped at %q, want the start of process %s (%s)", out, tc.pid, tc.begin)
					}
				}},
				// Stepping there and back again, with the other processes'
				// events in between. A forked child's first call (glibc's
				// set_robust_list after fork) goes through the syscall
				// buffer: its records are loaded before the first step.
				{cmd: "print/x $pc", check: func(t *testing.T, out string) { beginPC = out }},
				{cmd: "stepi"},
				{cmd: "stepi"},
				{cmd: "reverse-stepi"},
				{cmd: "reverse-stepi"},
				{cmd: "print/x $pc", check: func(t *testing.T, out string) {
					if pc := regexp.MustCompile(`0x[0-9a-f]+`).FindString(out); pc == "" || !strings.Contains(beginPC, pc) {
						t.Errorf("two stepi and two reverse-stepi from %q led to %q", beginPC, out)
					}
				}},
				{cmd: "reverse-stepi", want: `No more reverse-execution history`},
				{cmd: "info inferiors", want: inferior},
				{cmd: "continue", want: hit},
			}
			runGDBSteps(t, trace, []string{tc.flag, tc.pid}, steps)
		})
	}

	// The first process by its pid, as without -p: stepping by
	// instructions through its waitpid (a call other processes' events
	// may interrupt, with the children's SIGCHLD) and back.
	t.Run("-p_parent", func(t *testing.T) {
		steps := []gdbStep{
			{cmd: "set pagination off"},
			{cmd: "set confirm off"},
			{cmd: "info inferiors", want: `(?m)^\* 1 +process ` + rows[0].pid + ` `},
			{cmd: "break child_work", want: `Breakpoint 1 at`},
			{cmd: "continue", want: fmt.Sprintf(`Breakpoint 1, child_work \(n=5\) at %s`, file)},
			// Back by instructions to the syscall of the second fork
			// (the children's events come in between) and over it
			// again: it used to replay that call with the breakpoint
			// reverse-stepi sets on it, for ever.
			{cmd: "set $n = 0"},
			{cmd: "while $n < 300 && *(unsigned short *)$pc != 0x050f\n  reverse-stepi\n  set $n = $n + 1\nend"},
			{cmd: "x/i $pc", want: `syscall`},
			{cmd: "stepi"},
			{cmd: "print $rax", want: gdbValue(execd.pid)},
			{cmd: "continue", want: fmt.Sprintf(`Breakpoint 1, child_work \(n=5\) at %s`, file)},
			{cmd: "finish", want: `Value returned is \$\d+ = 55`},
			{cmd: "break waitpid", want: `Breakpoint 2 at`},
			{cmd: "continue", want: `Breakpoint 2, `},
			{cmd: "stepi 40"},
			{cmd: "reverse-stepi 3"},
			{cmd: "stepi 3"},
			{cmd: "delete"},
			{cmd: "continue", want: `No more reverse-execution history`},
		}
		s := runGDBSteps(t, trace, []string{"-p", rows[0].pid}, steps)
		if bad := regexp.MustCompile(`diverged|Remote failure`).FindString(string(s.result.Stderr)); bad != "" {
			t.Errorf("the session reports %q:\n%s", bad, s.result.Stderr)
		}
	})
}

// TestReplayUnknownProcess checks that -p/-f of a pid the recording does
// not have is refused at once with exit code 125, listing its processes,
// and so is rr's --onprocess.
func TestReplayUnknownProcess(t *testing.T) {
	Require(t, "ptrace")
	prog := buildConc(t, "fork_exec_work")
	trace, _ := recordTrace(t, prog)
	var pids []string
	for _, r := range rewindPs(t, trace) {
		pids = append(pids, r.pid)
	}
	list := strings.Join(pids, ", ")
	for _, args := range [][]string{
		{"replay", "-s", "0", "-p", "1", trace},
		{"replay", "-f", "1", trace},
		{"rr", "replay", "--dbgport=0", "--onprocess=1", trace},
	} {
		r := runBounded(t, 30*time.Second, Rewind(t), args...)
		if r.Code != 125 || !strings.Contains(string(r.Stderr), "no process 1;") || !strings.Contains(string(r.Stderr), list) {
			t.Errorf("rewind %s: exit %d, want 125 and an error listing the recorded pids %s:\n%s", strings.Join(args, " "), r.Code, list, r)
		}
	}
}
