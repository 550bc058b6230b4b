package test

// Reverse execution through gdb's machine interface (gdb --interpreter=mi3,
// as IDEs drive it): -exec-continue --reverse, -exec-next --reverse,
// -exec-step --reverse, -exec-finish --reverse,
// -exec-step-instruction --reverse, -break-watch, checkpoints and the start
// of the recording, with parsed records and a deadline on every wait (the
// miSession helpers of mi_test.go).

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReverseMI debugs the demo backwards through gdb/MI.
func TestReverseMI(t *testing.T) {
	Require(t, "gdb")
	start := time.Now()
	trace, final := demoTrace(t)
	bad := final - 480
	itoa := strconv.Itoa
	dep := itoa(sourceLine(t, "demo", "balance += amount;"))
	call := itoa(sourceLine(t, "demo", "deposit(amount);"))
	assign := itoa(sourceLine(t, "demo", "int amount = amount_for(round);"))
	fin := itoa(sourceLine(t, "demo", `printf("final balance`))

	srv := serveReplay(t, trace)
	s := startMI(t, srv.exe)
	defer func() {
		if t.Failed() {
			t.Logf("transcript:\n%s\n--- rewind:\n%s", s.transcript(), srv.log())
		}
	}()
	s.must("-gdb-set pagination off", "done")
	s.must("-gdb-set sysroot /", "done")
	s.must("-target-select extended-remote "+srv.addr, "connected")
	s.stopped("-target-select")

	// where checks a stop: its reason (one of reasons, "" for none), its
	// function, line and first argument (if arg is not "").
	where := func(what string, st miRecord, reasons []string, fn, line, arg string) {
		t.Helper()
		reason := miGet(st.results, "reason")
		ok := false
		for _, r := range reasons {
			ok = ok || r == reason
		}
		if !ok || miGet(st.results, "frame", "func") != fn || (line != "" && miGet(st.results, "frame", "line") != line) ||
			(arg != "" && miGet(st.results, "frame", "args", "0", "value") != arg) {
			t.Errorf("%s: %s\nwant reason %q in %s line %s with first argument %q", what, st.raw, reasons, fn, line, arg)
		}
	}
	eval := func(expr, want string) {
		t.Helper()
		if v := s.eval(expr); v != want {
			t.Errorf("%s = %q, want %s", expr, v, want)
		}
	}
	when := func() int {
		t.Helper()
		s.takeStreams('@')
		s.must(`-interpreter-exec console "monitor when"`, "done")
		out := s.takeStreams('@')
		n := eventIn(out)
		if n < 0 {
			t.Errorf("monitor when printed %q", out)
		}
		return n
	}
	hit := []string{"breakpoint-hit"}
	stepped := []string{"end-stepping-range"}

	// To the final printf, then a breakpoint in the loop.
	s.must("-break-insert demo.c:"+fin, "done")
	where("-exec-continue", s.run("-exec-continue"), hit, "main", fin, "")
	eval("balance", itoa(final))
	endEv := when()
	r := s.must("-break-insert deposit", "done")
	bp := miGet(r.results, "bkpt", "number")

	// Its last hit and the one before, going backwards.
	st := s.run("-exec-continue --reverse")
	where("-exec-continue --reverse", st, hit, "deposit", dep, "100")
	if miGet(st.results, "bkptno") != bp {
		t.Errorf("reverse stop: %s, want bkptno %s", st.raw, bp)
	}
	eval("balance", itoa(final-100))
	if n := when(); n > endEv {
		t.Errorf("monitor when after going back: %d, want at most %d", n, endEv)
	}
	where("second -exec-continue --reverse", s.run("-exec-continue --reverse"), hit, "deposit", dep, "90")
	eval("balance", itoa(final-190))
	// Forwards again: the same hit, the same values.
	where("-exec-continue", s.run("-exec-continue"), hit, "deposit", dep, "100")
	eval("balance", itoa(final-100))

	// next, and back over the update.
	where("-exec-next", s.run("-exec-next"), stepped, "deposit", itoa(sourceLine(t, "demo", "balance += amount;")+1), "100")
	eval("balance", itoa(final))
	// Landing on the breakpoint's address backwards may be reported as
	// its hit.
	where("-exec-next --reverse", s.run("-exec-next --reverse"), append(stepped, hit...), "deposit", dep, "100")
	eval("balance", itoa(final-100))

	// reverse-finish to the call in main, then back over the line that
	// assigned amount.
	s.must("-break-delete "+bp, "done")
	where("-exec-finish --reverse", s.run("-exec-finish --reverse"), append(stepped, "function-finished", ""), "main", call, "")
	eval("amount", "100")
	where("-exec-next --reverse", s.run("-exec-next --reverse"), stepped, "main", call, "")
	where("-exec-next --reverse", s.run("-exec-next --reverse"), stepped, "main", assign, "")
	eval("amount", "90")
	eval("round", "9")
	where("-exec-next", s.run("-exec-next"), stepped, "main", call, "")
	eval("amount", "100")
	where("-exec-step --reverse", s.run("-exec-step --reverse"), stepped, "amount_for", "", "9")
	eval("amount", "100")
	where("-exec-finish --reverse", s.run("-exec-finish --reverse"), append(stepped, "function-finished", ""), "main", assign, "")
	eval("amount", "90")

	// One instruction back and forth: the same address.
	pc := func() string {
		t.Helper()
		return s.eval("$pc")
	}
	pc0 := pc()
	st = s.run("-exec-step-instruction --reverse")
	if miGet(st.results, "reason") != "end-stepping-range" || pc() == pc0 {
		t.Errorf("-exec-step-instruction --reverse: %s, from pc %s", st.raw, pc0)
	}
	s.run("-exec-step-instruction")
	if got := pc(); got != pc0 {
		t.Errorf("pc after stepping an instruction back and forth: %s, want %s", got, pc0)
	}

	// A checkpoint here, and a restart at it from further on.
	s.takeStreams('@')
	s.must(`-interpreter-exec console "monitor checkpoint mi"`, "done")
	if out := s.takeStreams('@'); out != "Checkpoint 1 at mi\n" {
		t.Errorf("monitor checkpoint mi printed %q, want %q", out, "Checkpoint 1 at mi\n")
	}
	cpEv := when()

	// Watch balance backwards: rounds 8, 7 and 6 (the bad one).
	r = s.must("-break-watch balance", "done")
	wpt := miGet(r.results, "wpt", "number")
	for _, w := range []struct {
		old, new, amount int
	}{{final - 100, final - 190, 90}, {final - 190, final - 270, 80}, {final - 270, 210, bad}} {
		st = s.run("-exec-continue --reverse")
		if miGet(st.results, "reason") != "watchpoint-trigger" || miGet(st.results, "wpt", "number") != wpt ||
			miGet(st.results, "value", "old") != itoa(w.old) || miGet(st.results, "value", "new") != itoa(w.new) ||
			miGet(st.results, "frame", "func") != "deposit" || miGet(st.results, "frame", "args", "0", "value") != itoa(w.amount) {
			t.Errorf("reverse watchpoint stop: %s\nwant watchpoint-trigger of %s, old %d new %d, in deposit(amount=%d)",
				st.raw, wpt, w.old, w.new, w.amount)
		}
	}
	eval("amount < 0", "1")
	s.must("-break-delete", "done")

	// run c1: back at the checkpoint, with its values.
	s.must("-exec-arguments c1", "done")
	r = s.send("-exec-run")
	if r.class != "running" {
		t.Errorf("-exec-run c1: %s, want ^running", r.raw)
	} else {
		st = s.stopped("-exec-run c1")
		where("-exec-run c1", st, []string{"", "signal-received", "breakpoint-hit"}, "main", assign, "")
	}
	if got := pc(); got != pc0 {
		t.Errorf("pc after run c1: %s, want %s", got, pc0)
	}
	eval("amount", "90")
	eval("balance", itoa(final-100))
	if n := when(); n != cpEv {
		t.Errorf("monitor when after run c1: %d, want %d", n, cpEv)
	}

	// Back to the start of the recording.
	s.takeStreams('~')
	st = s.run("-exec-continue --reverse")
	console := s.takeStreams('~')
	if miGet(st.results, "reason") != "no-history" && !strings.Contains(console, "No more reverse-execution history") {
		t.Errorf("reverse to the start: %s (console %q), want the end of history", st.raw, console)
	}
	if f := miGet(st.results, "frame", "func"); f != "_start" || !strings.Contains(miGet(st.results, "frame", "from"), "ld-linux") {
		t.Errorf("reverse to the start stopped in %q from %q, want ld.so's _start", f, miGet(st.results, "frame", "from"))
	}
	if n := when(); n >= cpEv {
		t.Errorf("monitor when at the start: %d, want less than %d", n, cpEv)
	}
	// And at the start, once more: still there, and the session goes on.
	s.takeStreams('~')
	st = s.run("-exec-continue --reverse")
	if c := s.takeStreams('~'); miGet(st.results, "reason") != "no-history" && !strings.Contains(c, "No more reverse-execution history") {
		t.Errorf("reverse at the start: %s (console %q)", st.raw, c)
	}
	s.must("-break-insert deposit", "done")
	where("-exec-continue from the start", s.run("-exec-continue"), hit, "deposit", dep, "10")
	eval("balance", "0")

	s.must("-gdb-exit", "exit")
	select {
	case <-s.done:
	case <-time.After(miTimeout):
		t.Errorf("gdb still running %v after -gdb-exit", miTimeout)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("session took %v", d)
	}
}
