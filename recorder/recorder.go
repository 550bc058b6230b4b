package recorder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"rewind/arch"
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
	// Warn receives warnings meant for the user.
	Warn func(string)
	// Started is called with the program's pid once it runs.
	Started func(pid int)
}

// Result is what a finished recording reports.
type Result struct {
	Status unix.WaitStatus // how the program ended
	Frames int64
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

type recording struct {
	opts      Options
	t         *tracee.Proc
	w         *trace.Writer
	files     *fileStore
	cpuidTrap bool

	inSyscall bool
	entry     unix.PtraceRegs
	entryInfo *arch.Syscall
	disabled  bool
	restart   bool
	execSeen  bool
	exitRegs  unix.PtraceRegs
	atExit    bool // no instruction ran since the last syscall exit
	pending   []pendingSignal
	injected  *pendingSignal
	// interrupted is the last call that may continue as restart_syscall.
	interrupted     *arch.Syscall
	interruptedArgs [6]uint64
	// stdout and stderr identify the recording's output files.
	stdout, stderr *unix.Stat_t
}

type pendingSignal struct {
	signo int
	info  []byte
}

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
	r := &recording{opts: opts, stdout: fileID(opts.Stdout), stderr: fileID(opts.Stderr)}
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
	uname := unix.Utsname{}
	unix.Uname(&uname)
	h := &trace.Header{
		RewindVersion: Version, Mode: "soft", Created: time.Now().UTC(),
		Kernel: unix.ByteSliceToString(uname.Release[:]), CPU: trace.HostCPU(), CPUIDTrapped: r.cpuidTrap,
		Exe: opts.Path, Args: opts.Args, Env: opts.Env, Cwd: opts.Dir,
	}
	h.PinnedCPU = pickCPU()
	t, err := tracee.Spawn(tracee.SpawnOptions{Path: opts.Path, Argv: opts.Args, Env: opts.Env, Dir: opts.Dir,
		Files: []*os.File{opts.Stdin, opts.Stdout, opts.Stderr}, CPU: h.PinnedCPU})
	if err != nil {
		return Result{}, &StartError{err}
	}
	r.t = t
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
	res, err := r.run()
	if err != nil {
		t.Kill()
		w.Close(false)
		return res, err
	}
	t.Release()
	res.Frames = w.Frames
	return res, w.Close(true)
}

func (r *recording) write(f *trace.Frame) error {
	if err := r.w.Write(f); err != nil {
		return fmt.Errorf("writing the trace: %w", err)
	}
	return nil
}

func (r *recording) run() (Result, error) {
	f, err := r.captureExec()
	if err != nil {
		return Result{}, err
	}
	if err := r.write(f); err != nil {
		return Result{}, err
	}
	sig := 0
	for {
		if err := r.t.Syscall(sig); err != nil {
			return Result{}, fmt.Errorf("resume: %w", err)
		}
		sig = 0
		ws, err := r.t.Wait()
		if err != nil {
			return Result{}, err
		}
		switch {
		case ws.Exited() || ws.Signaled():
			if r.inSyscall { // exit and exit_group never return
				f := &trace.Frame{Kind: trace.KindSyscall, Tid: int32(r.t.Pid), Regs: r.entry, Nr: r.entryInfo.Nr}
				if err := r.write(f); err != nil {
					return Result{}, err
				}
			}
			if err := r.write(&trace.Frame{Kind: trace.KindExit, Tid: int32(r.t.Pid), Status: int32(ws)}); err != nil {
				return Result{}, err
			}
			return Result{Status: ws}, nil
		case ws.StopSignal() == tracee.StopSyscall:
			if !r.inSyscall {
				err = r.syscallEntry()
			} else {
				err = r.syscallExit()
			}
		case ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_EXEC:
			r.execSeen = true
			if err := r.t.ReopenMem(); err != nil {
				return Result{}, err
			}
		case ws.Stopped():
			sig, err = r.signal(int(ws.StopSignal()))
		}
		if err != nil {
			return Result{}, err
		}
	}
}

// unsupported lists calls the issue-3 recorder refuses, with the reason.
var unsupported = map[uint64]string{
	unix.SYS_CLONE:  "new threads and processes are not supported yet",
	unix.SYS_CLONE3: "new threads and processes are not supported yet",
	unix.SYS_FORK:   "new processes are not supported yet",
	unix.SYS_VFORK:  "new processes are not supported yet",
	unix.SYS_SHMAT:  "System V shared memory can be written by processes outside the recording",
}

func (r *recording) syscallEntry() error {
	regs, err := r.t.Regs()
	if err != nil {
		return err
	}
	r.inSyscall, r.entry, r.disabled, r.restart, r.atExit = true, regs, false, false, false
	nr := regs.Orig_rax
	sc := arch.LookupSyscall(nr)
	if sc == nil {
		return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("unknown syscall number %d", nr)}
	}
	r.entryInfo = sc
	if why, ok := unsupported[nr]; ok {
		return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("the program called %s: %s", sc.Name, why)}
	}
	if sc.Policy == arch.Unsupported {
		return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("the program called %s, which rewind cannot record", sc.Name)}
	}
	if nr == unix.SYS_MMAP {
		if err := r.checkSharedMap(regs); err != nil {
			return err
		}
	}
	skip := false
	if len(r.pending) > 0 && nr != unix.SYS_EXIT && nr != unix.SYS_EXIT_GROUP {
		// Deliver the deferred signal before this call: skip it now and
		// re-run it after the handler.
		r.restart, skip = true, true
	} else if sc.Policy == arch.Disable || takesTraps(nr, &regs) {
		r.disabled, skip = true, true
	}
	if skip {
		regs.Orig_rax = ^uint64(0)
		return r.t.SetRegs(&regs)
	}
	return nil
}

// takesTraps tells whether the call would switch off rewind's own
// trapping of rdtsc or CPUID; it is made to fail instead.
func takesTraps(nr uint64, regs *unix.PtraceRegs) bool {
	return nr == unix.SYS_PRCTL && regs.Rdi == arch.PR_SET_TSC ||
		nr == unix.SYS_ARCH_PRCTL && regs.Rdi == arch.ARCH_SET_CPUID
}

func (r *recording) checkSharedMap(regs unix.PtraceRegs) error {
	const mapShared, mapAnon = 0x01, 0x20
	const protWrite = 0x2
	if regs.R10&mapShared != 0 && regs.R10&mapAnon == 0 && regs.Rdx&protWrite != 0 {
		r.warn(fmt.Sprintf("the program maps a file shared and writable (fd %d): writes by other processes to that file are not recorded", int32(regs.R8)))
	}
	return nil
}

func (r *recording) warn(msg string) {
	if r.opts.Warn != nil {
		r.opts.Warn(msg)
	}
}

func (r *recording) syscallExit() error {
	r.inSyscall = false
	after, err := r.t.Regs()
	if err != nil {
		return err
	}
	sc, entry := r.entryInfo, r.entry
	f := &trace.Frame{Kind: trace.KindSyscall, Tid: int32(r.t.Pid), Regs: entry, Nr: sc.Nr, Result: int64(after.Rax)}
	switch {
	case r.restart:
		f.Flags |= trace.FlagRestart
		f.Result = 0
		after.Rax = sc.Nr
		after.Rip -= uint64(len(arch.InsnSyscall))
		if err := r.t.SetRegs(&after); err != nil {
			return err
		}
		p := r.pending[0]
		r.pending = r.pending[1:]
		r.injected = &p
		// Queue the signal now; it is delivered on the way back to user
		// mode, where signal() records it and restores its siginfo.
		if err := unix.Tgkill(r.t.Pid, r.t.Pid, unix.Signal(p.signo)); err != nil {
			return err
		}
	case r.disabled:
		f.Flags |= trace.FlagDisabled
		after.Orig_rax = entry.Orig_rax // as if the kernel itself had refused it
		if err := r.t.SetRegs(&after); err != nil {
			return err
		}
	case sc.Policy == arch.Emulate && f.Result > -4096 && (sc.Writes != nil || sc.Nr == arch.SysRestartSyscall):
		call := &arch.Call{Nr: sc.Nr, Args: args(&entry), Result: f.Result, Mem: r.t}
		rule := sc
		if sc.Nr == arch.SysRestartSyscall {
			// The kernel resumes the interrupted call with its arguments:
			// it writes what that call writes.
			if r.interrupted == nil {
				return &UnsupportedError{Frame: r.w.Frames, What: "restart_syscall without an interrupted call"}
			}
			rule = r.interrupted
			call.Nr, call.Args = r.interrupted.Nr, r.interruptedArgs
		}
		var ranges []arch.Range
		var err error
		if rule.Writes != nil {
			ranges, err = rule.Writes(call)
		}
		if err != nil {
			return &UnsupportedError{Frame: r.w.Frames, What: fmt.Sprintf("%s: %v", sc.Name, err)}
		}
		for _, rg := range ranges {
			if rg.Len == 0 {
				continue
			}
			if rg.Len > 1<<32 {
				return fmt.Errorf("%s: implausible write of %d bytes", sc.Name, rg.Len)
			}
			data := make([]byte, rg.Len)
			if err := r.t.ReadMem(rg.Addr, data); err != nil {
				return fmt.Errorf("%s: reading its result: %w", sc.Name, err)
			}
			f.Mem = append(f.Mem, trace.MemWrite{Addr: rg.Addr, Data: data})
		}
	case sc.Nr == unix.SYS_MMAP && isAddr(f.Result):
		if err := r.fileMapping(f, &entry); err != nil {
			return err
		}
	}
	const errRestartBlock = -516 // ERESTART_RESTARTBLOCK: may resume as restart_syscall
	if f.Result == errRestartBlock && sc.Nr != arch.SysRestartSyscall {
		r.interrupted, r.interruptedArgs = sc, args(&entry)
	}
	if isWrite(sc.Nr) && f.Result > 0 {
		f.Flags |= r.outputFlag(int32(entry.Rdi))
	}
	if err := r.write(f); err != nil {
		return err
	}
	if r.execSeen && (sc.Nr == unix.SYS_EXECVE || sc.Nr == unix.SYS_EXECVEAT) {
		r.execSeen = false
		ef, err := r.captureExec()
		if err != nil {
			return err
		}
		if err := r.write(ef); err != nil {
			return err
		}
		after, _ = r.t.Regs()
	}
	r.exitRegs, r.atExit = after, true
	return nil
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
func (r *recording) outputFlag(fd int32) trace.Flags {
	var st unix.Stat_t
	if fd < 0 || unix.Stat(fmt.Sprintf("/proc/%d/fd/%d", r.t.Pid, fd), &st) != nil {
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

// pickCPU returns the lowest CPU rewind may run on: the program is pinned
// there (one thread runs at a time anyway).
func pickCPU() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		for i := 0; i < 1024; i++ {
			if set.IsSet(i) {
				return i
			}
		}
	}
	return 0
}

func isAddr(result int64) bool { return result >= 0 || result < -4095 }

func args(r *unix.PtraceRegs) [6]uint64 {
	return [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9}
}

// fileMapping copies the file behind a successful file-backed mmap.
func (r *recording) fileMapping(f *trace.Frame, entry *unix.PtraceRegs) error {
	const mapAnon = 0x20
	if entry.R10&mapAnon != 0 {
		return nil
	}
	fd := int32(entry.R8)
	src := fmt.Sprintf("/proc/%d/fd/%d", r.t.Pid, fd)
	path, err := os.Readlink(src)
	if err != nil {
		return fmt.Errorf("mmap of fd %d: %w", fd, err)
	}
	name, size, err := r.files.save(src, path)
	if err != nil {
		return err
	}
	f.Map = &trace.Mapping{File: name, Path: path, Offset: entry.R9, Size: uint64(size)}
	return nil
}

// Synchronous signals come from the instruction that faulted.
func isSync(signo int, info []byte) bool {
	code := int32(binary.LittleEndian.Uint32(info[8:]))
	switch unix.Signal(signo) {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE, unix.SIGTRAP:
		return code > 0
	}
	return false
}

// signal handles a signal-delivery stop and returns the signal to deliver.
func (r *recording) signal(signo int) (int, error) {
	info, err := r.t.Siginfo()
	if err != nil {
		return 0, err
	}
	regs, err := r.t.Regs()
	if err != nil {
		return 0, err
	}
	if signo == int(unix.SIGSEGV) && int32(binary.LittleEndian.Uint32(info[8:])) == arch.SI_KERNEL {
		if handled, err := r.emulateInsn(regs); handled || err != nil {
			return 0, err
		}
	}
	f := &trace.Frame{Kind: trace.KindSignal, Tid: int32(r.t.Pid), Regs: regs, Signo: int32(signo), Siginfo: info}
	switch {
	case isSync(signo, info):
		f.Flags |= trace.FlagSyncSignal
	case r.atExit && regs == r.exitRegs:
		// Delivered on the return from the last syscall: replay delivers
		// it at the same syscall exit.
		if r.injected != nil && r.injected.signo == signo {
			f.Siginfo = r.injected.info
			if err := r.t.SetSiginfo(f.Siginfo); err != nil {
				return 0, err
			}
			r.injected = nil
		}
	default:
		// Arrived between syscalls, where soft mode cannot name the
		// point: hold it until the next syscall (see syscallEntry).
		r.pending = append(r.pending, pendingSignal{signo, info})
		return 0, nil
	}
	if err := r.write(f); err != nil {
		return 0, err
	}
	return signo, nil
}

// emulateInsn records a trapped rdtsc, rdtscp or cpuid.
func (r *recording) emulateInsn(regs unix.PtraceRegs) (bool, error) {
	var code [3]byte
	if err := r.t.ReadMem(regs.Rip, code[:]); err != nil {
		return false, nil
	}
	after := regs
	switch {
	case bytes.HasPrefix(code[:], arch.InsnRDTSC):
		tsc := arch.RDTSC()
		after.Rax, after.Rdx = tsc&0xffffffff, tsc>>32
		after.Rip += uint64(len(arch.InsnRDTSC))
	case bytes.Equal(code[:], arch.InsnRDTSCP):
		tsc, aux := arch.RDTSCP()
		after.Rax, after.Rdx, after.Rcx = tsc&0xffffffff, tsc>>32, uint64(aux)
		after.Rip += uint64(len(arch.InsnRDTSCP))
	case bytes.HasPrefix(code[:], arch.InsnCPUID) && r.cpuidTrap:
		a, b, c, d := arch.CPUID(uint32(regs.Rax), uint32(regs.Rcx))
		after.Rax, after.Rbx, after.Rcx, after.Rdx = uint64(a), uint64(b), uint64(c), uint64(d)
		after.Rip += uint64(len(arch.InsnCPUID))
	default:
		return false, nil
	}
	if err := r.t.SetRegs(&after); err != nil {
		return true, err
	}
	r.atExit = false
	return true, r.write(&trace.Frame{Kind: trace.KindInsn, Tid: int32(r.t.Pid), Regs: regs, After: after})
}

func readlinkProc(pid int, name string) (string, error) {
	s, err := os.Readlink(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return "", errors.New("reading /proc/" + fmt.Sprint(pid) + "/" + name + ": " + err.Error())
	}
	return s, nil
}
