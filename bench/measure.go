package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A sample is one timed run of a command.
type sample struct {
	wall time.Duration
	// ownKB is the peak RSS of the started process alone (VmHWM, sampled
	// every 10 ms, so a peak in the last moments may be missed).
	ownKB int64
	// treeKB is ru_maxrss from wait4: Linux reports the larger of the
	// process's own peak and that of its largest reaped descendant.
	treeKB int64
	out    string // stdout and stderr together
	err    error
}

// runTimed runs argv in dir in its own process group and kills the whole
// group at the timeout, so that no run can hang the benchmark.
func runTimed(dir string, env, argv []string, timeout time.Duration) sample {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{err: err}
	}
	done := make(chan struct{})
	own := watchHWM(cmd.Process.Pid, done)
	err := cmd.Wait()
	s := sample{wall: time.Since(start), out: out.String()}
	close(done)
	s.ownKB = <-own
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.treeKB = ru.Maxrss
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		s.err = fmt.Errorf("timed out after %v", timeout)
	case err != nil:
		s.err = failure(err, s.out)
	}
	return s
}

// failure names a failed run by the last line of its output that is not a
// warning: that is where rewind and most tools put the reason.
func failure(err error, out string) error {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.Contains(l, "warning:") {
			return errors.New(l)
		}
	}
	return err
}

// watchHWM samples VmHWM of pid until done is closed and then sends the
// largest value seen.
func watchHWM(pid int, done <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				out <- peak
				return
			case <-tick.C:
				peak = max(peak, vmHWM(pid))
			}
		}
	}()
	return out
}

func vmHWM(pid int) int64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb
		}
	}
	return 0
}

// A series is n runs of one measurement, stopped at the first failure:
// one failed run makes the measurement fail, and repeating a run that times
// out would only multiply the wait.
type series struct {
	walls         []time.Duration
	median        time.Duration
	ownKB, treeKB int64 // the largest over the runs
	err           error
}

// A step is one measurement: reset (nil: none) before each run, then run.
type step struct {
	reset func() error
	run   func() sample
}

func measure(n int, reset func() error, run func() sample) *series {
	return interleave(n, step{reset, run})[0]
}

// interleave measures steps in n rounds of one run each, in order: the
// speed of these machines drifts by ±20% over minutes, and runs of
// different modes taken side by side share the drift, where series taken
// one after the other did not (python3 once recorded faster than it ran).
// A step that fails stops, and so do the steps after it, which may need
// what it made (replay needs the recording).
func interleave(n int, steps ...step) []*series {
	out := make([]*series, len(steps))
	for i := range out {
		out[i] = &series{}
	}
	for round := 0; round < n; round++ {
		for i, st := range steps {
			if failed(out[:i+1]) {
				break
			}
			out[i].add(st, round, n)
		}
	}
	for _, s := range out {
		switch {
		case s.err != nil:
		case len(s.walls) < n:
			s.err = errors.New("not measured: a measurement before it failed")
		default:
			sort.Slice(s.walls, func(i, j int) bool { return s.walls[i] < s.walls[j] })
			s.median = s.walls[len(s.walls)/2]
		}
	}
	return out
}

func failed(ss []*series) bool {
	for _, s := range ss {
		if s.err != nil {
			return true
		}
	}
	return false
}

// add makes run round of st.
func (s *series) add(st step, round, n int) {
	if st.reset != nil {
		if err := st.reset(); err != nil {
			s.err = fmt.Errorf("reset: %v", err)
			return
		}
	}
	// What the previous run wrote (and the reset removed) goes to
	// the disk now, not during this run: cp -a's native time moved
	// between 0.15 s and 0.86 s by hand without it.
	unix.Sync()
	r := st.run()
	if r.err != nil {
		s.err = fmt.Errorf("run %d/%d: %w", round+1, n, r.err)
		return
	}
	s.walls = append(s.walls, r.wall)
	s.ownKB, s.treeKB = max(s.ownKB, r.ownKB), max(s.treeKB, r.treeKB)
}
