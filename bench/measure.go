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
	median        time.Duration
	ownKB, treeKB int64 // the largest over the runs
	err           error
}

func measure(n int, reset func() error, run func() sample) *series {
	s := &series{}
	var walls []time.Duration
	for i := 0; i < n; i++ {
		if reset != nil {
			if err := reset(); err != nil {
				s.err = fmt.Errorf("reset: %v", err)
				return s
			}
		}
		// What the previous run wrote (and the reset removed) goes to
		// the disk now, not during this run: cp -a's native time moved
		// between 0.15 s and 0.86 s by hand without it.
		unix.Sync()
		r := run()
		if r.err != nil {
			s.err = fmt.Errorf("run %d/%d: %w", i+1, n, r.err)
			return s
		}
		walls = append(walls, r.wall)
		s.ownKB, s.treeKB = max(s.ownKB, r.ownKB), max(s.treeKB, r.treeKB)
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	s.median = walls[len(walls)/2]
	return s
}
