package recorder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"rewind/trace"
	"rewind/tracee"
)

// Version is written into trace headers.
var Version = "0.1.0"

// CPUIDMode says whether CPUID instructions are trapped and recorded.
type CPUIDMode string

const (
	CPUIDAuto CPUIDMode = "auto" // trap where the host offers CPUID faulting
	CPUIDTrap CPUIDMode = "trap" // trap, fail if the host cannot
	CPUIDOff  CPUIDMode = "off"  // never trap; record the CPU's facts only
)

// Options describe what to record and where.
type Options struct {
	Path     string   // program to run (resolved)
	Args     []string // argv, Args[0] included
	Env      []string
	Dir      string
	Stdin    *os.File
	Stdout   *os.File
	Stderr   *os.File
	TraceDir string
	CPUID    CPUIDMode
	Ticks    TickMode // how positions are counted: see ticks.go
	// Warn receives warnings meant for the user.
	Warn func(string)
	// Started is called with the program's pid once it runs.
	Started func(pid int)
	// Chaos randomizes scheduling decisions and timeslices, so rare
	// interleavings of threads show up (still recorded exactly).
	Chaos bool
	// NoSyscallBuffer records without the in-process syscall buffer
	// (package preload): every syscall stops in ptrace.
	NoSyscallBuffer bool
	// Serial runs one thread of the whole tree at a time, on one CPU. By
	// default only threads that share memory take turns (domain.go).
	Serial bool
}

// Result is what a finished recording reports.
type Result struct {
	Status unix.WaitStatus // how the program ended
	Frames int64
	// Preemptions counts threads stopped between syscalls (soft mode:
	// each is found again by its fingerprint at replay).
	Preemptions int
}

// UnsupportedError means the program did something rewind cannot record
// exactly; the recording stops rather than produce a wrong trace.
type UnsupportedError struct {
	Frame int64
	What  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("cannot record: %s (at event %d)", e.What, e.Frame)
}

// ErrStartProgram wraps failures to start the program itself.
type StartError struct{ Err error }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Record runs the program to its end, writing the trace. The work happens
// on a locked OS thread, as ptrace requires.
func Record(opts Options) (res Result, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		res, err = record(opts)
	}()
	<-done
	return res, err
}

func record(opts Options) (Result, error) {
	r := newRecording(opts)
	if r.stdout != nil && r.stderr != nil && *r.stdout == *r.stderr {
		r.stderr = nil // one file for both (2>&1): echo everything as stdout
	}
	switch opts.CPUID {
	case CPUIDTrap:
		if err := ProbeCPUIDFaulting(); err != nil {
			return Result{}, fmt.Errorf("--cpuid=trap: this host has no CPUID faulting: %w", err)
		}
		r.cpuidTrap = true
	case CPUIDAuto, "":
		r.cpuidTrap = ProbeCPUIDFaulting() == nil
	}
	// Only soft mode is implemented: recordMode never yields "ticks" yet.
	mode, note, err := recordMode(opts.Ticks, probeTicks)
	if err != nil {
		return Result{}, err
	}
	if note != "" {
		r.warn(note)
	}
	uname := unix.Utsname{}
	unix.Uname(&uname)
	h := &trace.Header{
		RewindVersion: Version, Mode: mode, Created: time.Now().UTC(),
		Kernel: unix.ByteSliceToString(uname.Release[:]), CPU: trace.HostCPU(), CPUIDTrapped: r.cpuidTrap,
		Exe: opts.Path, Args: opts.Args, Env: opts.Env, Cwd: opts.Dir,
	}
	h.PinnedCPU = pickCPU()
	r.cpus = newCPUPlan(h.PinnedCPU)
	h.SyscallBuffer = !opts.NoSyscallBuffer
	t, err := tracee.Spawn(tracee.SpawnOptions{Path: opts.Path, Argv: opts.Args, Env: h.Env, Dir: opts.Dir,
		Files: []*os.File{opts.Stdin, opts.Stdout, opts.Stderr}, CPU: h.PinnedCPU})
	if err != nil {
		return Result{}, &StartError{err}
	}
	if opts.Started != nil {
		opts.Started(t.Pid)
	}
	w, err := trace.Create(opts.TraceDir, h)
	if err != nil {
		t.Kill()
		return Result{}, err
	}
	r.w = w
	r.files = newFileStore(filepath.Join(opts.TraceDir, trace.FilesDir))
	if r.waiter, err = tracee.NewWaiter(); err != nil {
		t.Kill()
		w.Close(false)
		return Result{}, err
	}
	defer r.waiter.Close()
	res, err := r.run(t)
	if err != nil {
		r.killAll()
		r.files.wait()
		w.Close(false)
		return res, err
	}
	if err := r.files.wait(); err != nil {
		w.Close(false)
		return res, err
	}
	res.Frames, res.Preemptions = w.Frames, r.preemptions
	return res, w.Close(true)
}

func (r *recording) write(f *trace.Frame) error {
	if err := r.w.Write(f); err != nil {
		return fmt.Errorf("writing the trace: %w", err)
	}
	return nil
}

func (r *recording) warn(msg string) {
	if r.opts.Warn != nil {
		r.opts.Warn(msg)
	}
}

func isWrite(nr uint64) bool {
	switch nr {
	case unix.SYS_WRITE, unix.SYS_WRITEV, unix.SYS_PWRITE64, unix.SYS_PWRITEV, unix.SYS_PWRITEV2:
		return true
	}
	return false
}

// outputFlag tells whether fd is the file rewind's stdout or stderr is,
// whatever its number: programs redirect (2>/dev/null) and dup.
func (r *recording) outputFlag(t *task, fd int32) trace.Flags {
	var st unix.Stat_t
	if fd < 0 || unix.Stat(fmt.Sprintf("/proc/%d/fd/%d", t.Pid, fd), &st) != nil {
		return 0
	}
	switch {
	case r.stdout != nil && st.Dev == r.stdout.Dev && st.Ino == r.stdout.Ino && st.Rdev == r.stdout.Rdev:
		return trace.FlagStdout
	case r.stderr != nil && st.Dev == r.stderr.Dev && st.Ino == r.stderr.Ino && st.Rdev == r.stderr.Rdev:
		return trace.FlagStderr
	}
	return 0
}

func fileID(f *os.File) *unix.Stat_t {
	var st unix.Stat_t
	if f == nil || unix.Fstat(int(f.Fd()), &st) != nil {
		return nil
	}
	return &st
}

// pickCPU returns the CPU the program starts on (its processes spread
// from there, cpuPlan). Recordings made side by side start apart.
func pickCPU() int {
	cpus, _ := tracee.CPUs(0)
	if len(cpus) == 0 {
		return 0
	}
	return cpus[os.Getpid()%len(cpus)]
}

// fileMapping copies the file behind a successful file-backed mmap.
func (r *recording) fileMapping(t *task, f *trace.Frame, entry *unix.PtraceRegs) error {
	const mapAnon = 0x20
	if entry.R10&mapAnon != 0 {
		return nil
	}
	fd := int32(entry.R8)
	src := fmt.Sprintf("/proc/%d/fd/%d", t.Pid, fd)
	path, err := os.Readlink(src)
	if err != nil {
		return fmt.Errorf("mmap of fd %d: %w", fd, err)
	}
	// Only a mapping the program may write through at once is copied on
	// the spot: the go command and the linker map every build cache
	// entry they read shared, read-only (35 ms of a go build's tracer
	// time when copied here).
	const mapShared, protWrite = 0x01, 0x2
	name, size, err := r.files.save(src, path, entry.R10&mapShared != 0 && entry.Rdx&protWrite != 0)
	if err != nil {
		return err
	}
	f.Map = &trace.Mapping{File: name, Path: path, Offset: entry.R9, Size: uint64(size)}
	return nil
}

func readlinkProc(pid int, name string) (string, error) {
	s, err := os.Readlink(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return "", errors.New("reading /proc/" + fmt.Sprint(pid) + "/" + name + ": " + err.Error())
	}
	return s, nil
}
