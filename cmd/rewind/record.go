package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"rewind/recorder"
)

func cmdRecord(args []string) error {
	fl := flag.NewFlagSet("record", flag.ContinueOnError)
	out := fl.String("o", "", "write the trace to `DIR` (default: $REWIND_TRACE_DIR/<exe>-N or ~/.local/share/rewind/<exe>-N)")
	cpuid := fl.String("cpuid", "auto", "trap and record CPUID: auto (where the host can), trap (required), off")
	ticks := fl.String("ticks", "auto", "count positions with the PMU: auto (where it can), pmu (required; not implemented yet), soft (never)")
	chaos := fl.Bool("chaos", false, "randomize thread scheduling to make rare interleavings show up")
	quiet := fl.Bool("q", false, "do not print where the trace goes")
	serial := fl.Bool("serial", false, "run one thread of the whole program at a time, on one CPU (processes that share no memory run side by side otherwise)")
	var noBuffer bool
	fl.BoolVar(&noBuffer, "n", false, "the same as --no-syscall-buffer")
	fl.BoolVar(&noBuffer, "no-syscall-buffer", false, "record without the in-process syscall buffer: every syscall stops in ptrace (slower)")
	if err := fl.Parse(args); err != nil {
		return fail(exitFailed, nil)
	}
	if fl.NArg() == 0 {
		return fail(exitFailed, errors.New("record: no program given (usage: rewind record [-o DIR] [--] PROG ARGS...)"))
	}
	mode := recorder.CPUIDMode(*cpuid)
	if mode != recorder.CPUIDAuto && mode != recorder.CPUIDTrap && mode != recorder.CPUIDOff {
		return fail(exitFailed, fmt.Errorf("record: --cpuid must be auto, trap or off, not %q", *cpuid))
	}
	// Before any trace directory is made: --ticks=pmu may not be possible.
	if err := recorder.CheckTicks(recorder.TickMode(*ticks)); err != nil {
		return fail(exitFailed, fmt.Errorf("record: %w", err))
	}
	prog := fl.Arg(0)
	path, err := exec.LookPath(prog)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fail(exitNotExec, fmt.Errorf("%s: permission denied", prog))
		}
		return fail(exitNotFound, fmt.Errorf("%s: command not found", prog))
	}
	if path, err = filepath.Abs(path); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		if dir, err = newTraceDir(traceRoot(), filepath.Base(path)); err != nil {
			return fmt.Errorf("choosing a trace directory: %w", err)
		}
	} else if err := checkEmptyDir(dir); err != nil {
		return err
	}
	made, err := preflight(dir)
	if err != nil {
		return err
	}
	made = made || *out == ""
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	if !*quiet {
		warnf("saving the recording to %s", dir)
	}
	// Signals that would end rewind go to the program (forward.go).
	fwd := forwardSignals()
	res, err := recorder.Record(recorder.Options{
		Path: path, Args: fl.Args(), Env: os.Environ(), Dir: cwd,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		TraceDir: dir, CPUID: mode, Ticks: recorder.TickMode(*ticks), Chaos: *chaos,
		NoSyscallBuffer: noBuffer, Serial: *serial,
		Warn:    func(s string) { warnf("warning: %s", s) },
		Started: fwd.started,
	})
	fwd.stop()
	var se *recorder.StartError
	if errors.As(err, &se) {
		if made {
			os.RemoveAll(dir) // nothing was recorded: leave no empty trace
		}
		return fail(exitNotExec, fmt.Errorf("%s: %v", prog, se.Err))
	}
	if err != nil {
		return fmt.Errorf("%v; the partial trace is in %s", err, dir)
	}
	if *out == "" {
		if err := linkLatest(dir); err != nil {
			warnf("warning: %v", err)
		}
	}
	if res.Preemptions > 0 && !*quiet {
		// Without a PMU each is found again by its fingerprint: say so,
		// replay of a long-spinning thread may take a while.
		warnf("%d of %d events are preemptions of threads between syscalls", res.Preemptions, res.Frames)
	}
	return fail(exitCode(res.Status), nil)
}

func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// newTraceDir creates root/base-N for the first free N.
func newTraceDir(root, base string) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	for n := 0; ; n++ {
		dir := filepath.Join(root, base+"-"+strconv.Itoa(n))
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
}

func checkEmptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot write the recording: %w", err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s exists and is not empty; not overwriting it", dir)
	}
	return nil
}

// linkLatest points root/latest-trace at dir.
func linkLatest(dir string) error {
	link := filepath.Join(filepath.Dir(dir), "latest-trace")
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(filepath.Base(dir), tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// traceArg returns the trace named on the command line, or the latest.
func traceArg(fl *flag.FlagSet) (string, error) {
	switch fl.NArg() {
	case 0:
		latest := filepath.Join(traceRoot(), "latest-trace")
		if _, err := os.Stat(latest); err != nil {
			return "", fmt.Errorf("no trace given and no latest recording in %s", traceRoot())
		}
		return latest, nil
	case 1:
		return fl.Arg(0), nil
	}
	return "", fmt.Errorf("too many arguments: %q", fl.Args()[1:])
}
