package recorder

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"rewind/tracee"
)

// Feature is one probed host capability.
type Feature struct {
	Name   string
	Err    error  // nil when available
	Detail string // what was found
	Use    string // what rewind does about it
}

// Available reports whether the feature works on this host.
func (f Feature) Available() bool { return f.Err == nil }

type probeResults struct {
	tsc, cpuid, debugRegs error
}

var (
	probeOnce sync.Once
	probed    probeResults
)

// probeTracee tries the trapping features inside a throw-away traced
// process, so rewind's own threads never run with them on.
func probeTracee() probeResults {
	probeOnce.Do(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			probed = runProbes()
		}()
		<-done
	})
	return probed
}

func runProbes() probeResults {
	var res probeResults
	truePath, err := exec.LookPath("true")
	if err != nil {
		err = fmt.Errorf("no `true` program to probe with: %w", err)
		return probeResults{err, err, err}
	}
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	t, err := tracee.Spawn(tracee.SpawnOptions{Path: truePath, Argv: []string{"true"}, Files: []*os.File{devnull, devnull, devnull}, CPU: -1})
	if err != nil {
		return probeResults{err, err, err}
	}
	defer t.Kill()
	res.tsc = injectOK(t, unix.SYS_PRCTL, 26 /* PR_SET_TSC */, 2 /* PR_TSC_SIGSEGV */)
	res.cpuid = injectOK(t, unix.SYS_ARCH_PRCTL, 0x1012 /* ARCH_SET_CPUID */, 0)
	if res.cpuid == nil {
		injectOK(t, unix.SYS_ARCH_PRCTL, 0x1012, 1)
	}
	res.debugRegs = probeDebugRegs(t)
	return res
}

func injectOK(t *tracee.Proc, nr uint64, args ...uint64) error {
	r, err := t.Inject(nr, args...)
	if err != nil {
		return err
	}
	if r < 0 {
		return unix.Errno(-r)
	}
	return nil
}

// probeDebugRegs arms a write watchpoint in DR0 on the stack slot the
// tracee's first call (ld.so's _start calls _dl_start) pushes its return
// address to, and checks that it fires. On some VMs the registers accept
// values but never trigger.
func probeDebugRegs(t *tracee.Proc) error {
	regs, err := t.Regs()
	if err != nil {
		return err
	}
	if err := t.SetDebugReg(0, regs.Rsp-8); err != nil {
		return err
	}
	const enable0, write0, len8 = 1, 1 << 16, 2 << 18
	if err := t.SetDebugReg(7, enable0|write0|len8); err != nil {
		return err
	}
	if err := t.Cont(0); err != nil {
		return err
	}
	ws, err := t.Wait()
	if err != nil {
		return err
	}
	if ws.Stopped() && ws.StopSignal() == unix.SIGTRAP {
		dr6, err := t.DebugReg(6)
		if err == nil && dr6&1 != 0 {
			return nil
		}
		return fmt.Errorf("a trap arrived but DR6 is %#x", dr6)
	}
	return fmt.Errorf("an armed write watchpoint never fired (%s)", tracee.Describe(ws))
}

// ProbeCPUIDFaulting reports whether CPUID can be trapped (ARCH_SET_CPUID).
func ProbeCPUIDFaulting() error { return probeTracee().cpuid }

// ProbeTSCTrap reports whether rdtsc can be trapped (PR_SET_TSC).
func ProbeTSCTrap() error { return probeTracee().tsc }

// ProbeDebugRegisters reports whether hardware breakpoints fire.
func ProbeDebugRegisters() error { return probeTracee().debugRegs }

// ProbeSeccomp reports whether seccomp filters are available.
func ProbeSeccomp() error {
	r, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	if err != nil {
		return fmt.Errorf("prctl(PR_GET_SECCOMP): %w", err)
	}
	if r != 0 {
		return fmt.Errorf("rewind itself runs under seccomp mode %d", r)
	}
	return nil
}

// Probe returns every capability rewind cares about, with what it will do.
func Probe() []Feature {
	paranoid, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	p := strings.TrimSpace(string(paranoid))
	var perr error
	if err != nil {
		perr = err
	} else if p > "1" && !strings.HasPrefix(p, "-") {
		perr = fmt.Errorf("is %s; Delve's rr backend wants <= 1", p)
	}
	// The same probe recording uses: the conditional-branch event of
	// this CPU, counted over a loop.
	pmu, cpuid, dr, tsc, seccomp := probeTicks(), ProbeCPUIDFaulting(), ProbeDebugRegisters(), ProbeTSCTrap(), ProbeSeccomp()
	return []Feature{
		{"PMU", pmu, "retired conditional branches", pick(pmu == nil, "tick mode possible (recording uses soft mode for now)", "soft mode: positions by fingerprint")},
		{"debug registers", dr, "hardware breakpoints/watchpoints", pick(dr == nil, "hardware watchpoints (up to 4, then page protection)", "page-protection watchpoints")},
		{"CPUID faulting", cpuid, "ARCH_SET_CPUID", pick(cpuid == nil, "CPUID trapped and recorded", "CPUID not trapped: CPU facts kept in the trace header, replay warns on a different CPU")},
		{"rdtsc trapping", tsc, "PR_SET_TSC(PR_TSC_SIGSEGV)", pick(tsc == nil, "rdtsc/rdtscp trapped and recorded", "cannot record: rdtsc would escape the recording")},
		{"seccomp", seccomp, "seccomp-bpf", pick(seccomp == nil, "available (the syscall buffer uses it)", "unavailable: recording takes a ptrace stop per syscall")},
		{"perf_event_paranoid", perr, p, pick(perr == nil, "ok for Delve", "set it to 1 for Delve: sysctl kernel.perf_event_paranoid=1")},
	}
}

func pick(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
