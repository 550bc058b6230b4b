package tracee

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const addrNoRandomize = 0x0040000

// Options passed to PTRACE_SETOPTIONS for every tracee; new threads and
// processes inherit them and are traced from their first instruction.
const ptraceOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_EXITKILL |
	unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACESECCOMP

// Proc is one traced thread.
type Proc struct {
	Pid int
	mem *os.File
	// emu: resumed by Sysemu; atEmuEntry: stopped at the entry of a call
	// the kernel skips.
	emu, atEmuEntry bool
}

// SpawnOptions describe the program to start.
type SpawnOptions struct {
	Path  string
	Argv  []string
	Env   []string
	Dir   string
	Files []*os.File // stdin, stdout, stderr
	// Setpgid puts the program in a process group of its own, out of
	// reach of the terminal's Ctrl-C (which belongs to the debugger).
	Setpgid bool
	// CPU pins the program to one CPU (-1: no pinning). Without CPUID
	// faulting, what CPUID reports (the APIC id, cache topology) differs
	// between cores and ends up in memory: recording and replay must run
	// on the same core.
	CPU int
}

// Spawn starts a program stopped at its first instruction, traced, with
// address-space randomization off. Call it on the Executor's thread.
func Spawn(o SpawnOptions) (*Proc, error) {
	// Personality is inherited by the child: turning randomization off on
	// this (locked) tracer thread makes every layout reproducible.
	old, _, _ := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
	if old&addrNoRandomize == 0 {
		if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, old|addrNoRandomize, 0, 0); errno != 0 {
			return nil, fmt.Errorf("personality(ADDR_NO_RANDOMIZE): %w", errno)
		}
	}
	p, err := os.StartProcess(o.Path, o.Argv, &os.ProcAttr{
		Dir:   o.Dir,
		Env:   o.Env,
		Files: o.Files,
		Sys:   &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL, Setpgid: o.Setpgid},
	})
	if err != nil {
		return nil, err
	}
	t := &Proc{Pid: p.Pid}
	ws, err := t.Wait()
	if err != nil {
		return nil, err
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		return nil, fmt.Errorf("%s: unexpected first stop %v", o.Path, describe(ws))
	}
	if o.CPU >= 0 {
		if err := Pin(t.Pid, o.CPU); err != nil {
			t.Kill()
			return nil, err
		}
		// The tracer thread too: every ptrace stop hands the CPU between
		// the two, which is 2x faster on one CPU than across two.
		Pin(0, o.CPU)
	}
	if err := unix.PtraceSetOptions(t.Pid, ptraceOptions); err != nil {
		t.Kill()
		return nil, fmt.Errorf("PTRACE_SETOPTIONS: %w", err)
	}
	if err := t.ReopenMem(); err != nil {
		t.Kill()
		return nil, err
	}
	return t, nil
}

// Pin keeps thread tid (0: the calling thread) on one CPU.
func Pin(tid, cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(tid, &set); err != nil {
		return fmt.Errorf("pinning thread %d to CPU %d: %w", tid, cpu, err)
	}
	return nil
}

// CPUs lists the CPUs thread tid (0: the calling thread) may run on.
func CPUs(tid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(tid, &set); err != nil {
		return nil, err
	}
	var cpus []int
	for i := range len(set) * 64 {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// Adopt wraps a thread that is already traced (a new thread or process
// that the kernel attached through the ptrace options).
func Adopt(tid int) (*Proc, error) {
	t := &Proc{Pid: tid}
	if err := t.ReopenMem(); err != nil {
		return nil, err
	}
	return t, nil
}

// CloneEvent reports a clone, fork or vfork event stop (the new thread's
// id is then in EventMsg).
func CloneEvent(ws unix.WaitStatus) bool {
	switch ws.TrapCause() {
	case unix.PTRACE_EVENT_CLONE, unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK:
		return ws.Stopped() && ws.StopSignal() == unix.SIGTRAP
	}
	return false
}

// EventMsg returns PTRACE_GETEVENTMSG: the new thread's id at a clone,
// fork or vfork event, the former thread id at an exec event.
func (t *Proc) EventMsg() (uint64, error) {
	var msg uint64
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETEVENTMSG, uintptr(t.Pid), 0, uintptr(unsafe.Pointer(&msg)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return msg, nil
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	case ws.Stopped():
		return fmt.Sprintf("stopped by %v", ws.StopSignal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// Describe renders a wait status for messages.
func Describe(ws unix.WaitStatus) string { return describe(ws) }

// ReopenMem opens /proc/PID/mem again; needed after every exec.
func (t *Proc) ReopenMem() error {
	if t.mem != nil {
		t.mem.Close()
	}
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/mem", t.Pid), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	t.mem = f
	return nil
}

// Wait waits for the next state change of the tracee.
func (t *Proc) Wait() (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(t.Pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		t.waited(ws, err)
		return ws, err
	}
}

// waited notes the stop ws of a wait: the entry of a call the kernel
// skips, if it was resumed with Sysemu.
func (t *Proc) waited(ws unix.WaitStatus, err error) {
	t.atEmuEntry = err == nil && t.emu && ws.Stopped() && ws.StopSignal() == StopSyscall
	t.emu = false
}

// WaitUntil waits for the next state change of the tracee for at most d;
// ok is false when d passed first. It polls: a thread that should stop at
// once is waited for without blocking for ever (a millisecond a look).
func (t *Proc) WaitUntil(d time.Duration) (ws unix.WaitStatus, ok bool, err error) {
	deadline := time.Now().Add(d)
	for {
		pid, err := unix.Wait4(t.Pid, &ws, unix.WALL|unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil || pid == t.Pid:
			t.waited(ws, err)
			return ws, err == nil, err
		case time.Now().After(deadline):
			return ws, false, nil
		}
		time.Sleep(time.Millisecond)
	}
}

// Kill kills the tracee and reaps it.
func (t *Proc) Kill() {
	unix.Kill(t.Pid, unix.SIGKILL)
	t.Reap()
	t.Release()
}

// Reap waits until the thread is gone and returns how it ended; a stop on
// the way out is resumed. (A leader is reported only once its other
// threads were reaped.)
func (t *Proc) Reap() (unix.WaitStatus, error) {
	for {
		ws, err := t.Wait()
		if err != nil || ws.Exited() || ws.Signaled() {
			return ws, err
		}
		t.Syscall(0)
	}
}

// Release closes what the Proc holds once the process is gone.
func (t *Proc) Release() {
	if t.mem != nil {
		t.mem.Close()
		t.mem = nil
	}
}

// Syscall resumes until the next syscall stop (or other stop), delivering sig.
func (t *Proc) Syscall(sig int) error {
	if err := t.leaveEmuEntry(); err != nil {
		return err
	}
	return unix.PtraceSyscall(t.Pid, sig)
}

// leaveEmuEntry passes, from the entry of a call the kernel skips
// (Sysemu), the exit stop the kernel reports for it when the thread is
// resumed to stop at syscalls or stepped; a step from the entry would
// stop there without running an instruction.
func (t *Proc) leaveEmuEntry() error {
	if !t.atEmuEntry {
		return nil
	}
	t.atEmuEntry = false
	return t.toSyscallStop(fmt.Sprintf("thread %d: expected the exit of a skipped call", t.Pid))
}

// Sysemu resumes to the next syscall entry, delivering sig; the kernel
// then skips that call (the tracer sets its result), so an emulated call
// costs one stop instead of two.
func (t *Proc) Sysemu(sig int) error {
	t.atEmuEntry = false
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SYSEMU, uintptr(t.Pid), 0, uintptr(sig), 0, 0)
	if errno != 0 {
		return errno
	}
	t.emu = true
	return nil
}

// Cont resumes, delivering sig.
func (t *Proc) Cont(sig int) error {
	t.atEmuEntry = false
	return unix.PtraceCont(t.Pid, sig)
}

// Step executes one instruction, delivering sig.
func (t *Proc) Step(sig int) error {
	if err := t.leaveEmuEntry(); err != nil {
		return err
	}
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SINGLESTEP, uintptr(t.Pid), 0, uintptr(sig), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// Regs returns the general registers.
func (t *Proc) Regs() (unix.PtraceRegs, error) {
	var r unix.PtraceRegs
	err := unix.PtraceGetRegs(t.Pid, &r)
	return r, err
}

// SetRegs sets the general registers.
func (t *Proc) SetRegs(r *unix.PtraceRegs) error { return unix.PtraceSetRegs(t.Pid, r) }

// XState returns the raw NT_X86_XSTATE area (x87, SSE, AVX state).
func (t *Proc) XState() ([]byte, error) {
	buf := make([]byte, 4096)
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(t.Pid), 0x202, uintptr(unsafe.Pointer(&iov)), 0, 0)
	if errno != 0 {
		return nil, errno
	}
	return buf[:iov.Len], nil
}

// Siginfo returns the raw siginfo of the signal the tracee is stopped for.
func (t *Proc) Siginfo() ([]byte, error) {
	buf := make([]byte, 128)
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(t.Pid), 0, uintptr(unsafe.Pointer(&buf[0])), 0, 0)
	if errno != 0 {
		return nil, errno
	}
	return buf, nil
}

// SetSiginfo replaces the siginfo of the signal about to be delivered.
func (t *Proc) SetSiginfo(info []byte) error {
	if len(info) < 128 {
		return errors.New("short siginfo")
	}
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SETSIGINFO, uintptr(t.Pid), 0, uintptr(unsafe.Pointer(&info[0])), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// ReadMem fills buf from tracee memory at addr.
func (t *Proc) ReadMem(addr uint64, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	n, err := unix.ProcessVMReadv(t.Pid, local, remote, 0)
	if err == nil && n == len(buf) {
		return nil
	}
	// Partly unreadable by process_vm_readv (e.g. PROT_NONE): /proc/PID/mem
	// reads what ptrace can.
	m, err := t.mem.ReadAt(buf, int64(addr))
	if m == len(buf) {
		return nil
	}
	if err == nil {
		err = errors.New("short read")
	}
	return fmt.Errorf("read %d bytes at %#x: %w", len(buf), addr, err)
}

// WriteMem writes data into tracee memory at addr, read-only pages included.
func (t *Proc) WriteMem(addr uint64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	n, err := t.mem.WriteAt(data, int64(addr))
	if n == len(data) {
		return nil
	}
	if err == nil {
		err = errors.New("short write")
	}
	return fmt.Errorf("write %d bytes at %#x: %w", len(data), addr, err)
}

// ReadString reads a NUL-terminated string of at most max bytes.
func (t *Proc) ReadString(addr uint64, max int) (string, error) {
	var out []byte
	chunk := make([]byte, 256)
	for len(out) < max {
		// Read up to the page end so an unmapped next page does not fail.
		n := 4096 - int(addr%4096)
		if n > len(chunk) {
			n = len(chunk)
		}
		if err := t.ReadMem(addr, chunk[:n]); err != nil {
			return "", err
		}
		for i := 0; i < n; i++ {
			if chunk[i] == 0 {
				return string(append(out, chunk[:i]...)), nil
			}
		}
		out = append(out, chunk[:n]...)
		addr += uint64(n)
	}
	return string(out), nil
}

// debugRegOffset is offsetof(struct user, u_debugreg) on x86-64.
const debugRegOffset = 848

// SetDebugReg writes debug register DRi (0-3 addresses, 6 status, 7 control).
func (t *Proc) SetDebugReg(i int, v uint64) error {
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_POKEUSR, uintptr(t.Pid), uintptr(debugRegOffset+8*i), uintptr(v), 0, 0)
	if errno != 0 {
		return fmt.Errorf("setting DR%d: %w", i, errno)
	}
	return nil
}

// DebugReg reads debug register DRi.
func (t *Proc) DebugReg(i int) (uint64, error) {
	var v uint64
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_PEEKUSR, uintptr(t.Pid), uintptr(debugRegOffset+8*i), uintptr(unsafe.Pointer(&v)), 0, 0)
	if errno != 0 {
		return 0, fmt.Errorf("reading DR%d: %w", i, errno)
	}
	return v, nil
}

// Tkill sends sig to the one thread tid (its process need not be known).
func Tkill(tid int, sig unix.Signal) error {
	_, _, errno := unix.Syscall(unix.SYS_TKILL, uintptr(tid), uintptr(sig), 0)
	if errno != 0 {
		return errno
	}
	return nil
}
