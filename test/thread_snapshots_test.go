package test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rewind/arch"
	"rewind/replayer"
	"rewind/tracee"
)

// threadState is what a debugger can see of the replay at one point:
// the threads, each one's registers (general, SSE) and the writable
// memory of the process.
type threadState struct {
	frame   int64
	cur     int
	threads []int
	regs    map[int]string
	mem     map[string][]byte // by mapping
}

func captureState(s *replayer.Session) (threadState, error) {
	st := threadState{frame: s.Frame(), cur: s.Current(), threads: s.Threads(), regs: map[int]string{}, mem: map[string][]byte{}}
	for _, tid := range st.threads {
		rs, err := s.RegistersOf(tid)
		if err != nil {
			return st, fmt.Errorf("event %d: registers of %d: %v", st.frame, tid, err)
		}
		var sse []byte
		if len(rs.XSave) >= arch.XSaveXMM0+256 {
			sse = append(rs.XSave[arch.XSaveMXCSR:arch.XSaveMXCSR+4:arch.XSaveMXCSR+4], rs.XSave[arch.XSaveXMM0:arch.XSaveXMM0+256]...)
		}
		st.regs[tid] = fmt.Sprintf("%+v xmm %x", rs.Regs, sse)
	}
	maps, err := tracee.ReadMaps(s.MapsPid())
	if err != nil {
		return st, err
	}
	for _, m := range maps {
		if m.Perms[1] != 'w' || m.End-m.Start > 64<<20 {
			continue
		}
		buf := make([]byte, m.End-m.Start)
		n, _ := s.ReadMemory(m.Start, buf)
		st.mem[fmt.Sprintf("%#x-%#x %s", m.Start, m.End, m.Path)] = buf[:n]
	}
	return st, nil
}

func (a threadState) diff(b threadState) []string {
	var d []string
	if a.frame != b.frame || a.cur != b.cur || !slices.Equal(a.threads, b.threads) {
		d = append(d, fmt.Sprintf("event %d thread %d of %v, want event %d thread %d of %v", a.frame, a.cur, a.threads, b.frame, b.cur, b.threads))
	}
	for tid, r := range b.regs {
		if a.regs[tid] != r {
			d = append(d, fmt.Sprintf("thread %d registers\n  have %s\n  want %s", tid, a.regs[tid], r))
		}
	}
	for m, want := range b.mem {
		have, ok := a.mem[m]
		if !ok {
			d = append(d, "mapping "+m+" missing")
			continue
		}
		if !bytes.Equal(have, want) {
			for i := range min(len(have), len(want)) {
				if have[i] != want[i] {
					d = append(d, fmt.Sprintf("mapping %s differs from offset %#x", m, i))
					break
				}
			}
			if len(have) != len(want) {
				d = append(d, fmt.Sprintf("mapping %s: %d bytes readable, want %d", m, len(have), len(want)))
			}
		}
	}
	for m := range a.mem {
		if _, ok := b.mem[m]; !ok {
			d = append(d, "extra mapping "+m)
		}
	}
	return d
}

// bounded runs f on the session of tg (on its tracer thread: f must not
// call t.Fatal) and fails the test with f's error. Past d it fails it and
// interrupts the replay until f returns: a replay that lost some state of
// a thread may search for its next event forever.
func bounded(t *testing.T, tg *replayer.Target, d time.Duration, f func(s *replayer.Session) error) {
	t.Helper()
	var err error
	tg.Session(func(s *replayer.Session) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
				return
			case <-time.After(d):
				t.Errorf("the replay did not get there in %v", d)
			}
			for {
				s.Interrupt()
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		err = f(s)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// recordThreadLoop records the thread_loop fixture with n iterations.
func recordThreadLoop(t *testing.T, n int) (trace, output string) {
	t.Helper()
	trace = filepath.Join(t.TempDir(), "trace")
	r := Run(t, "", nil, Rewind(t), "record", "-q", "-o", trace, Build(t, "thread_loop"), fmt.Sprint(n))
	if r.Code != 0 {
		t.Fatalf("record: %s", r)
	}
	out := regexp.MustCompile(`total \d+ tls \d+ seen \d+ \d+\n`).FindString(string(r.Stdout))
	if out == "" {
		t.Fatalf("the recording printed %q", r.Stdout)
	}
	return trace, out
}

// Snapshots taken while three threads live re-create all of them: going
// back to events after such a snapshot gives the very state a replay
// forward from the start has (threads, registers, vector registers,
// memory), and the replay goes on from there to the recorded end (the
// threads' signal masks, signal stacks and clear_child_tid, which
// pthread_join waits on, show in the program's output).
func TestSnapshotThreadsRestore(t *testing.T) {
	Require(t, "ptrace")
	trace, want := recordThreadLoop(t, 600)
	var echo bytes.Buffer
	tg, err := replayer.NewTarget(trace, replayer.Options{Stdout: &echo})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	fwd, err := replayer.NewTarget(trace, replayer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fwd.Close()

	var targets []int64
	bounded(t, tg, time.Minute, func(s *replayer.Session) error {
		if _, err := s.Continue(); err != nil {
			return fmt.Errorf("forward to the end: %v", err)
		}
		if echo.String() != want {
			return fmt.Errorf("the replay printed %q, want %q", echo.String(), want)
		}
		st := s.SnapshotStats()
		for i, f := range st.Frames {
			if st.Threads[i] == 3 {
				targets = append(targets, f+5)
			}
		}
		t.Logf("%d events; snapshots at %v of %v threads", s.Frame(), st.Frames, st.Threads)
		return nil
	})
	if len(targets) < 2 {
		t.Fatalf("%d snapshots of 3 threads, want at least 2", len(targets))
	}
	targets = targets[:min(len(targets), 4)]
	// Each target from a replay forward only, and from the snapshot just
	// before it (the latest first, so every restore goes back).
	wants := map[int64]threadState{}
	bounded(t, fwd, time.Minute, func(s *replayer.Session) error {
		for _, target := range targets {
			for s.Frame() < target {
				if err := s.Step(); err != nil {
					return fmt.Errorf("forward to event %d: %v", target, err)
				}
			}
			st, err := captureState(s)
			wants[target] = st
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, target := range slices.Backward(targets) {
		bounded(t, tg, time.Minute, func(s *replayer.Session) error {
			before := s.SnapshotStats().ThreadRestores
			if err := s.Restart(fmt.Sprint(target)); err != nil {
				return fmt.Errorf("restart at event %d: %v", target, err)
			}
			if s.SnapshotStats().ThreadRestores == before {
				return fmt.Errorf("going back to event %d restored no snapshot of several threads", target)
			}
			have, err := captureState(s)
			if err != nil {
				return err
			}
			if d := have.diff(wants[target]); len(d) > 0 {
				t.Errorf("event %d restored from a snapshot differs from the replay forward:\n%s", target, strings.Join(d, "\n"))
			}
			if len(have.threads) != 3 {
				t.Errorf("event %d: threads %v, want 3", target, have.threads)
			}
			return nil
		})
	}
	// From the earliest target on to the end: the restored threads finish
	// as recorded.
	bounded(t, tg, time.Minute, func(s *replayer.Session) error {
		echo.Reset()
		if err := s.Restart(fmt.Sprint(targets[0])); err != nil {
			return err
		}
		if _, err := s.Continue(); err != nil {
			return fmt.Errorf("from event %d to the end: %v", targets[0], err)
		}
		if echo.String() != want {
			t.Errorf("from event %d the replay printed %q, want %q", targets[0], echo.String(), want)
		}
		return nil
	})
}

// gdb goes back into a stretch where three threads live: reverse-continue
// restores a snapshot that re-created them, stops in a worker, and what
// gdb sees there (the threads by their ids, the frames, variables,
// registers) is what a replay forward only to the same hit shows. From
// there the replay goes on to the recorded end.
func TestGDBReverseThreadSnapshots(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	trace, out := recordThreadLoop(t, 1500)
	wantTotal := regexp.MustCompile(`total (\d+)`).FindStringSubmatch(out)[1]
	printLine := sourceLine(t, "thread_loop", "LINE:print")
	snapshots := regexp.MustCompile(`Snapshots: (\d+) live, (\d+) of several threads \(at most (\d+)\); restored (\d+) times, (\d+) with threads`)
	hit := regexp.MustCompile(`Thread \d+ hit Breakpoint \d+, marker \(id=(\d), i=(\d+)\)`)
	var id, iter string
	seen := map[string]map[string]string{} // session → what it printed
	keep := func(session, key string) func(*testing.T, string) {
		return func(t *testing.T, out string) {
			if seen[session] == nil {
				seen[session] = map[string]string{}
			}
			seen[session][key] = out
		}
	}
	// The same look around, in both sessions.
	look := func(session string) []gdbStep {
		return []gdbStep{
			{cmd: "info threads", check: keep(session, "threads")},
			{cmd: "print total", check: keep(session, "total")},
			{cmd: "print seen", check: keep(session, "seen")},
			{cmd: "print $xmm9.v2_double[0]", check: keep(session, "xmm9")},
			{cmd: "print/x $fs_base", check: keep(session, "fs_base")},
			{cmd: "up", check: keep(session, "caller")},
			{cmd: "print i", check: keep(session, "loop i")},
		}
	}
	steps := []gdbStep{
		{cmd: "set pagination off"},
		{cmd: "set confirm off"},
		{cmd: fmt.Sprintf("break thread_loop.c:%d", printLine), want: `Breakpoint 1 at`},
		{cmd: "continue", want: `Breakpoint 1, main `},
		{cmd: "monitor info snapshots", target: snapshots.String(), check: func(t *testing.T, out string) {
			if m := snapshots.FindStringSubmatch(out); m == nil || m[2] == "0" || m[3] != "3" {
				t.Errorf("at the end: %q, want snapshots of 3 threads", out)
			}
		}},
		{cmd: "break marker", want: `Breakpoint 2 at`},
		{cmd: "reverse-continue", want: hit.String(), check: func(t *testing.T, out string) {
			if m := hit.FindStringSubmatch(out); m != nil {
				id, iter = m[1], m[2]
			}
		}},
	}
	steps = append(steps, look("back")...)
	steps = append(steps,
		gdbStep{cmd: "monitor info snapshots", target: snapshots.String(), check: func(t *testing.T, out string) {
			if m := snapshots.FindStringSubmatch(out); m == nil || m[5] == "0" {
				t.Errorf("after reverse-continue: %q, want a snapshot of several threads restored", out)
			}
		}},
		gdbStep{cmd: "delete 2"},
		gdbStep{cmd: "continue", want: `Breakpoint 1, main `},
		gdbStep{cmd: "print total", want: gdbValue(wantTotal)},
	)
	runGDBSteps(t, trace, nil, steps)
	if id == "" {
		t.Fatal("reverse-continue did not stop at marker")
	}
	if iter != "1350" {
		t.Errorf("reverse-continue stopped at marker(id=%s, i=%s), want the last call, i=1350", id, iter)
	}
	steps = append([]gdbStep{
		{cmd: "set pagination off"},
		{cmd: "set confirm off"},
		{cmd: fmt.Sprintf("break marker if id == %s && i == %s", id, iter), want: `Breakpoint 1 at`},
		{cmd: "continue", want: hit.String()},
	}, look("forward")...)
	steps = append(steps, gdbStep{cmd: "kill"}) // gdb's last words go to the last step
	runGDBSteps(t, trace, nil, steps)
	// gdb numbers threads in the order it learns of them (1, 2, 3): the
	// ids that must stay are the target's (Thread PID.TID), each with its
	// frame.
	rows := regexp.MustCompile(`(?m)^([* ]) +\d+ +(Thread \d+\.\d+.*)$`)
	threads := func(out string) []string {
		var ts []string
		for _, m := range rows.FindAllStringSubmatch(out, -1) {
			ts = append(ts, m[1]+m[2])
		}
		slices.Sort(ts)
		return ts
	}
	back, fwd := seen["back"], seen["forward"]
	if have, want := threads(back["threads"]), threads(fwd["threads"]); len(want) != 3 || !slices.Equal(have, want) {
		t.Errorf("info threads after reverse-continue:\n%s\nwant, as forward:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}
	if m := regexp.MustCompile(`(?m)^\* +\d+ +Thread (\d+)\.(\d+) `).FindStringSubmatch(back["threads"]); m == nil || m[1] == m[2] {
		t.Errorf("the current thread is not a worker:\n%s", back["threads"])
	}
	for _, k := range []string{"total", "seen", "xmm9", "fs_base", "caller", "loop i"} {
		strip := func(s string) string { return regexp.MustCompile(`\$\d+ = `).ReplaceAllString(s, "") }
		if strip(back[k]) != strip(fwd[k]) || fwd[k] == "" {
			t.Errorf("%s after reverse-continue: %q, forward: %q", k, back[k], fwd[k])
		}
	}
}

// Every concurrency fixture, replayed to its end, then from just after
// each of its last three snapshots of several threads to the end again:
// the replay restored there prints the rest of what the whole replay
// printed (threads that signal, exec, fork, exit first, wait in calls).
func TestSnapshotThreadsFixtures(t *testing.T) {
	Require(t, "ptrace")
	Rewind(t)
	used := 0
	t.Cleanup(func() {
		if !t.Failed() && used < 10 {
			t.Errorf("%d fixtures had snapshots of several threads, want at least 10", used)
		}
		t.Logf("%d fixtures had snapshots of several threads", used)
	})
	var mu sync.Mutex
	for _, f := range concFixtures {
		t.Run(f.name, func(t *testing.T) {
			prog := startConc(t, f)
			trace := filepath.Join(t.TempDir(), "trace")
			if rec := Run(t, "", nil, Rewind(t), append([]string{"record", "-q", "-o", trace, "--", prog}, f.args...)...); rec.Code != f.code {
				t.Fatalf("record: %s", rec)
			}
			var echo bytes.Buffer
			tg, err := replayer.NewTarget(trace, replayer.Options{Stdout: &echo})
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			toEnd := func(s *replayer.Session) error {
				for {
					st, err := s.Continue()
					if err != nil {
						return err
					}
					if done, _ := s.Done(); done || st.Reason == replayer.StoppedEnd {
						return nil
					}
				}
			}
			var frames []int64
			bounded(t, tg, 2*time.Minute, func(s *replayer.Session) error {
				if err := toEnd(s); err != nil {
					return fmt.Errorf("to the end: %v", err)
				}
				st := s.SnapshotStats()
				for i, fr := range st.Frames {
					if st.Threads[i] > 1 {
						frames = append(frames, fr)
					}
				}
				return nil
			})
			whole := echo.String()
			if len(frames) > 0 {
				mu.Lock()
				used++
				mu.Unlock()
			}
			for _, fr := range frames[max(0, len(frames)-3):] {
				bounded(t, tg, 2*time.Minute, func(s *replayer.Session) error {
					if err := s.Restart(fmt.Sprint(fr + 3)); err != nil {
						return fmt.Errorf("restart at event %d: %v", fr+3, err)
					}
					echo.Reset()
					if err := toEnd(s); err != nil {
						return fmt.Errorf("from event %d to the end: %v", fr+3, err)
					}
					return nil
				})
				if !strings.HasSuffix(whole, echo.String()) {
					t.Errorf("from event %d the replay printed %q, not the end of %q", fr+3, echo.String(), whole)
				}
			}
		})
	}
}
