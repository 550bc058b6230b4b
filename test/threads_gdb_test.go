package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// gdb debugs a multi-threaded recording: a breakpoint hits in each
// thread, the threads are listed and selectable, and reverse-continue goes
// back across thread switches to the last hit, with the values of then.
func TestGDBThreads(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	prog := Build(t, "threads")
	trace, rec := recordTrace(t, prog)
	if want := "shared 45 results 6 16 26\n"; !strings.Contains(string(rec.Stdout), want) {
		t.Fatalf("recording printed %q, want %q", rec.Stdout, want)
	}
	file := `[^\n]*threads\.c`
	sharedLine := sourceLine(t, "threads", "LINE:shared")
	printLine := sourceLine(t, "threads", "LINE:print")
	ids := map[string]bool{}
	var lastID string
	hit := func(t *testing.T, out string) {
		m := regexp.MustCompile(`Thread \d+ hit Breakpoint 1, work \(id=(\d)\)`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no breakpoint hit in a thread: %s", out)
			return
		}
		ids[m[1]] = true
		lastID = m[1]
	}
	steps := []gdbStep{
		{cmd: "set pagination off"},
		{cmd: "set confirm off"},
		{cmd: fmt.Sprintf("break threads.c:%d", sharedLine), want: `Breakpoint 1 at 0x[0-9a-f]+`},
		{cmd: "continue", check: hit},
		{cmd: "info threads", check: func(t *testing.T, out string) {
			if n := strings.Count(out, " Thread "); n < 2 {
				t.Errorf("info threads lists %d threads, want at least 2:\n%s", n, out)
			}
			if !regexp.MustCompile(`(?m)^\* \d+\s+Thread \S+\s+work \(id=\d\)`).MatchString(out) {
				t.Errorf("the current thread is not the one in work():\n%s", out)
			}
		}},
		{cmd: "thread 1", want: `Switching to thread 1`},
		{cmd: "bt", want: `main \(\)`},
		{cmd: "continue", check: hit},
		{cmd: "continue", check: hit},
		{cmd: "print shared", check: func(t *testing.T, out string) {
			if len(ids) != 3 {
				t.Errorf("the breakpoint hit in threads %v, want the 3 ids", ids)
			}
		}},
		{cmd: fmt.Sprintf("break threads.c:%d", printLine), want: `Breakpoint 2 at`},
		{cmd: "continue", want: fmt.Sprintf(`Breakpoint 2, main \(\) at %s:%d`, file, printLine)},
		{cmd: "print shared", want: gdbValue("45")},
		// Back to the last hit of work(), in its thread, before it added.
		{cmd: "reverse-continue", want: `Breakpoint 1, work \(id=\d\)`, check: func(t *testing.T, out string) {
			if !strings.Contains(out, "work (id="+lastID+")") {
				t.Errorf("reverse-continue stopped in %s, want the last thread to hit, id=%s", out, lastID)
			}
		}},
		{cmd: "print shared", check: func(t *testing.T, out string) {
			want := map[string]string{"0": "40", "1": "30", "2": "20"}[lastID]
			if !regexp.MustCompile(gdbValue(want)).MatchString(out) {
				t.Errorf("shared before thread %s added is %s, want %s", lastID, out, want)
			}
		}},
		{cmd: "reverse-continue", want: `Breakpoint 1, work \(id=\d\)`},
		{cmd: "continue", want: `Breakpoint 1, work \(id=` + "\\d" + `\)`},
	}
	runGDBSteps(t, trace, nil, steps)
}
