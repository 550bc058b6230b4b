package replayer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/gdbserver"
	"rewind/tracee"
)

// Target serves a replay to debuggers: it implements gdbserver.Target on
// a Session, running every Session call on the tracer thread.
type Target struct {
	e   *tracee.Executor
	s   *Session
	exe string
	// parked: gdb's "run" continues right after restarting; after a
	// restart at a checkpoint or event that first continue stays there.
	parked bool
}

var (
	_ gdbserver.Target        = (*Target)(nil)
	_ gdbserver.SiginfoReader = (*Target)(nil)
)

// Siginfo returns the siginfo of the last recorded signal delivered.
func (t *Target) Siginfo(tid int) (info []byte, err error) {
	t.e.Do(func() { info = t.s.siginfo })
	if info == nil {
		info = make([]byte, 128)
	}
	return info, nil
}

// NewTarget opens the trace in dir for debugging.
func NewTarget(dir string, opts Options) (*Target, error) {
	t := &Target{e: tracee.NewExecutor()}
	var err error
	t.e.Do(func() {
		if t.s, err = Open(dir, opts); err != nil {
			return
		}
		t.s.autoSnap = true
		t.s.maybeSnapshot() // the start: going back never spawns again
		if opts.Process != 0 {
			if err = t.s.debugProcess(opts.Process, opts.AtFork); err != nil {
				t.s.Close()
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// Clients load the program from this path: the original when it is
	// still the recorded one, else the trace's copy.
	t.exe = t.s.ExePath()
	if c, ok := t.s.FileCopy(t.exe); ok && sameFile(t.exe, c) != nil {
		t.exe = c
	}
	return t, nil
}

// Session runs f with the session, on the tracer thread.
func (t *Target) Session(f func(s *Session)) { t.e.Do(func() { f(t.s) }) }

// Close ends the replay.
func (t *Target) Close() { t.e.Do(t.s.Close) }

func (t *Target) Pid() int { return t.s.tid }
func (t *Target) Threads() (tids []int) {
	t.e.Do(func() { tids = t.s.Threads() })
	if len(tids) == 0 {
		tids = []int{t.s.tid}
	}
	return tids
}
func (t *Target) ExecFile() string { return t.exe }
func (t *Target) Reverse() bool    { return true }

func (t *Target) HasAVX() bool {
	for _, l := range t.s.Header().CPU.Leaves {
		if l.Leaf == 1 {
			return l.ECX&(1<<28) != 0
		}
	}
	return true
}

func (t *Target) Registers(tid int) (rs *arch.RegisterSet, err error) {
	t.e.Do(func() { rs, err = t.s.RegistersOf(tid) })
	return
}

func (t *Target) ReadMemory(addr uint64, buf []byte) (n int, err error) {
	t.e.Do(func() { n, err = t.s.ReadMemory(addr, buf) })
	return
}

func (t *Target) Auxv() ([]byte, error) { return t.s.Auxv(), nil }

var watchKinds = map[gdbserver.BreakKind]WatchKind{
	gdbserver.BreakWatchWrite: WatchWrite, gdbserver.BreakWatchRead: WatchRead, gdbserver.BreakWatchAccess: WatchAccess,
}

func (t *Target) SetBreakpoint(k gdbserver.BreakKind, addr uint64, size int) (err error) {
	t.e.Do(func() {
		if wk, ok := watchKinds[k]; ok {
			err = t.s.SetWatchpoint(wk, addr, size)
		} else if k == gdbserver.BreakSoftware {
			err = t.s.SetBreakpoint(addr)
		} else {
			err = gdbserver.ErrUnsupported
		}
	})
	if errors.Is(err, ErrNoHardwareWatchpoints) {
		err = gdbserver.ErrUnsupported // the client falls back to its own
	}
	return
}

func (t *Target) ClearBreakpoint(k gdbserver.BreakKind, addr uint64, size int) (err error) {
	t.e.Do(func() {
		if wk, ok := watchKinds[k]; ok {
			err = t.s.ClearWatchpoint(wk, addr, size)
		} else if k == gdbserver.BreakSoftware {
			err = t.s.ClearBreakpoint(addr)
		} else {
			err = gdbserver.ErrUnsupported
		}
	})
	return
}

func (t *Target) Resume(ctx context.Context, a gdbserver.Action) (gdbserver.Stop, error) {
	if t.parked && !a.Step {
		// Whatever direction the client resumes in (Delve repeats its
		// last one), the first continue after a restart stays, as rr.
		t.parked = false
		return t.stop(Stopped{Reason: StoppedStep}), nil
	}
	t.parked = false
	done, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			t.s.Interrupt()
		case <-done:
		}
	}()
	// The watcher must be gone before the caller cancels ctx on return.
	defer func() { close(done); <-watched }()
	var st Stopped
	var err error
	t.e.Do(func() {
		switch {
		case a.Dir == gdbserver.Reverse && a.Step:
			st, err = t.s.ReverseStep()
		case a.Dir == gdbserver.Reverse:
			st, err = t.s.ReverseContinue()
		case a.Step:
			st, err = t.s.StepInsn()
		default:
			st, err = t.s.Continue()
		}
	})
	if err != nil {
		return gdbserver.Stop{}, err
	}
	return t.stop(st), nil
}

func (t *Target) stop(st Stopped) gdbserver.Stop {
	tid := t.s.tid
	t.e.Do(func() {
		if t.s.inMain() && !t.s.done {
			tid = t.s.Current()
		}
	})
	switch st.Reason {
	case StoppedBreakpoint:
		return gdbserver.Stop{Kind: gdbserver.StopSWBreak, Tid: tid}
	case StoppedSignal:
		return gdbserver.Stop{Kind: gdbserver.StopSignal, Tid: tid, Signal: st.Signal}
	case StoppedInterrupt:
		return gdbserver.Stop{Kind: gdbserver.StopSignal, Tid: tid, Signal: int(unix.SIGINT)}
	case StoppedEnd:
		return gdbserver.Stop{Kind: gdbserver.StopReplayEnd, Tid: tid}
	case StoppedBegin:
		return gdbserver.Stop{Kind: gdbserver.StopReplayBegin, Tid: tid}
	case StoppedWatch:
		kind := map[WatchKind]gdbserver.StopKind{WatchWrite: gdbserver.StopWatch, WatchRead: gdbserver.StopRWatch, WatchAccess: gdbserver.StopAWatch}[st.Watch.kind]
		return gdbserver.Stop{Kind: kind, Tid: tid, Addr: st.Watch.addr}
	case StoppedExited:
		if st.Status.Signaled() {
			return gdbserver.Stop{Kind: gdbserver.StopKilled, Tid: tid, Signal: int(st.Status.Signal())}
		}
		return gdbserver.Stop{Kind: gdbserver.StopExited, Tid: tid, Status: st.Status.ExitStatus()}
	}
	return gdbserver.Stop{Kind: gdbserver.StopSignal, Tid: tid, Signal: int(unix.SIGTRAP)}
}

func (t *Target) Restart(arg string) (st gdbserver.Stop, err error) {
	t.e.Do(func() { err = t.s.Restart(arg) })
	t.parked = err == nil && arg != ""
	return gdbserver.Stop{Kind: gdbserver.StopSignal, Tid: t.s.tid, Signal: int(unix.SIGTRAP)}, err
}

const monitorHelp = `rewind monitor commands (also as rr's qRRCmd):
  when                      the current event: "Completed event: N"
  when-ticks                the position in ticks (soft mode: none; the event is shown)
  checkpoint [NOTE]         remember this point: "Checkpoint N at event E"
  info checkpoints          list them
  info snapshots            the automatic snapshots: how many, of how many threads, uses
  delete checkpoint N       forget one
  help                      this text
Restart at a checkpoint with "run cN" (gdb) and at event E with "run E".
`

func (t *Target) Monitor(cmd string) (out string, err error) {
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return monitorHelp, nil
	}
	t.e.Do(func() { out, err = t.monitor(fields) })
	return
}

func (t *Target) monitor(fields []string) (string, error) {
	s := t.s
	switch strings.Join(fields[:min(2, len(fields))], " ") {
	case "info checkpoints":
		var b strings.Builder
		b.WriteString("ID\tWhen\tWhere\n")
		for _, c := range s.Checkpoints() {
			fmt.Fprintf(&b, "%d\t%d\t%s\n", c.ID, c.Event, c.Note)
		}
		return b.String(), nil
	case "info snapshots":
		st := s.SnapshotStats()
		many, most := 0, 0
		for _, n := range st.Threads {
			if n > 1 {
				many++
			}
			most = max(most, n)
		}
		return fmt.Sprintf("Snapshots: %d live, %d of several threads (at most %d); restored %d times, %d with threads\n",
			len(st.Frames), many, most, st.Restores, st.ThreadRestores), nil
	case "delete checkpoint":
		if len(fields) != 3 {
			return "", fmt.Errorf("usage: delete checkpoint N")
		}
		id, err := strconv.Atoi(fields[2])
		if err != nil {
			return "", fmt.Errorf("delete checkpoint: %q is not a number", fields[2])
		}
		if err := s.DeleteCheckpoint(id); err != nil {
			return "", err
		}
		return fmt.Sprintf("Deleted checkpoint %d.\n", id), nil
	}
	switch fields[0] {
	case "help":
		return monitorHelp, nil
	case "when":
		return fmt.Sprintf("Completed event: %d\n", s.Frame()), nil
	case "when-ticks":
		return fmt.Sprintf("Current tick: 0 (soft mode has no tick counter; event %d)\n", s.Frame()), nil
	case "checkpoint":
		note := strings.Join(fields[1:], " ")
		c, err := s.AddCheckpoint(note)
		if err != nil {
			return "", err
		}
		if note == "" {
			note = fmt.Sprintf("event %d", c.Event)
		}
		return fmt.Sprintf("Checkpoint %d at %s\n", c.ID, note), nil
	}
	return "", fmt.Errorf("unknown monitor command %q (try monitor help)", strings.Join(fields, " "))
}

func (t *Target) OpenFile(path string) (gdbserver.File, error) {
	var f *os.File
	var err error
	t.e.Do(func() { f, err = t.s.OpenFile(path) })
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (t *Target) MemoryRegion(addr uint64) (gdbserver.Region, error) {
	var pid int
	t.e.Do(func() { pid = t.s.MapsPid() })
	maps, err := tracee.ReadMaps(pid)
	if err != nil {
		return gdbserver.Region{}, err
	}
	next := ^uint64(0)
	for _, m := range maps {
		if m.Start <= addr && addr < m.End {
			return gdbserver.Region{Start: m.Start, Size: m.End - m.Start, Mapped: true,
				Read: m.Perms[0] == 'r', Write: m.Perms[1] == 'w', Exec: m.Perms[2] == 'x', Name: m.Path}, nil
		}
		if m.Start > addr && m.Start < next {
			next = m.Start
		}
	}
	return gdbserver.Region{Start: addr, Size: next - addr}, nil
}

// Libraries is not offered to clients yet: with qXfer:libraries-svr4
// advertised, lldb-22 no longer found libc (the list is empty at the start,
// before ld.so sets up r_debug); gdb and lldb read the link map from
// memory themselves meanwhile. Session.Libraries walks it.
func (t *Target) Libraries() ([]gdbserver.Library, error) { return nil, gdbserver.ErrUnsupported }
