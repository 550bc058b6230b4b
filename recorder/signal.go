package recorder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

// Synchronous signals come from the instruction that faulted.
func isSync(signo int, info []byte) bool {
	code := int32(binary.LittleEndian.Uint32(info[8:]))
	switch unix.Signal(signo) {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE, unix.SIGTRAP:
		return code > 0
	}
	return false
}

// fromRewind reports a signal rewind itself sent with tgkill.
func fromRewind(info []byte) bool {
	const siTkill = -6
	code := int32(binary.LittleEndian.Uint32(info[8:]))
	pid := int32(binary.LittleEndian.Uint32(info[16:]))
	return code == siTkill && int(pid) == os.Getpid()
}

// signal handles a signal-delivery stop of t: it records the signal and
// sets it to be delivered, or defers it, or takes it as a preemption.
func (r *recording) signal(t *task, signo int) error {
	info, err := t.Siginfo()
	if err == unix.EINVAL {
		// A group-stop: a stop signal took effect, the program's parent
		// was told, and the thread waits for SIGCONT (pick).
		t.state = jobStopped
		t.dom.release(t)
		return nil
	}
	if err != nil {
		return err
	}
	regs, err := t.Regs()
	if err != nil {
		return err
	}
	if signo == int(unix.SIGSEGV) && int32(binary.LittleEndian.Uint32(info[8:])) == arch.SI_KERNEL {
		if handled, err := r.emulateInsn(t, regs); handled || err != nil {
			return err
		}
	}
	ours := signo == int(unix.SIGSTOP) && t.stopSent && fromRewind(info)
	aborted, err := abortUntraced(t, &regs)
	if err != nil {
		return err
	}
	if ours && (aborted || t.inLibrary(regs.Rip)) {
		// Not a point replay can find: a blocked buffered call is made
		// again traced, where the thread can give way; else try again
		// soon.
		t.stopSent, t.retrySoon, t.yieldSoon = false, true, true
		return r.askStop(t)
	}
	atBoundary, err := r.atBoundary(t, regs)
	if err != nil {
		return err
	}
	if ours {
		t.stopSent = false
		return r.preempted(t, regs, atBoundary)
	}
	f := &trace.Frame{Kind: trace.KindSignal, Tid: int32(t.Pid), Regs: regs, Signo: int32(signo), Siginfo: info}
	switch {
	case isSync(signo, info):
		f.Flags |= trace.FlagSyncSignal
	case atBoundary && (t.injected != nil && t.injected.signo == signo || !t.holds(signo)):
		// Delivered where no instruction ran since a recorded point:
		// replay delivers it at the same point. (One of a number already
		// held waits behind them: realtime signals keep their order.)
		if t.injected != nil && t.injected.signo == signo {
			f.Siginfo = t.injected.info
			if err := t.SetSiginfo(f.Siginfo); err != nil {
				return err
			}
			t.injected = nil
		}
	case int64(regs.Orig_rax) < 0 && !t.inLibrary(regs.Rip) && t.state != exiting:
		// Arrived between recorded points, in user code: name a point
		// here (a preemption) and deliver it there, as soon as the
		// program would have seen it. Held for long, a CPU-time timer
		// would fire again meanwhile.
		t.hold(signo, info)
		return r.preempted(t, regs, false)
	default:
		// Arrived on the way out of a syscall or in the syscall buffer:
		// hold it until the thread's next syscall or preemption.
		t.hold(signo, info)
		return r.askStop(t)
	}
	if err := r.flush(t, regs.Rip); err != nil {
		return err
	}
	if err := r.write(f); err != nil {
		return err
	}
	t.sig, t.clearFault = signo, f.Flags&trace.FlagSyncSignal == 0
	return nil
}

// enterHandler delivers t's signal, which is no fault of the program, up
// to its handler's first instruction and clears the fault information of
// its frame there, as replay does (tracee.ClearFaultInfo). It returns
// false when the thread stopped otherwise: that stop is queued as the
// next event.
func (r *recording) enterHandler(t *task) (bool, error) {
	sig := t.sig
	t.sig = 0
	if err := t.Step(sig); err != nil {
		return false, err
	}
	ws, err := r.waitFor(t)
	if err != nil {
		return false, err
	}
	if ws.Stopped() && ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == 0 {
		return true, t.ClearFaultInfo()
	}
	r.queued = append([]tracee.Event{{Tid: t.Pid, Status: ws}}, r.queued...)
	return false, nil
}

// deliverable tells whether t holds a signal it can take now: one at a
// time (the kernel queues a re-raised signal behind others of its number,
// so two in flight would swap their siginfo), and not while t blocks it.
func (t *task) deliverable() bool {
	return len(t.pending) > 0 && t.injected == nil && !tracee.Blocked(t.Pid, t.pending[0].signo)
}

// holds tells whether t holds a signal numbered signo.
func (t *task) holds(signo int) bool {
	for _, p := range t.pending {
		if p.signo == signo {
			return true
		}
	}
	return false
}

// hold keeps a signal for delivery at t's next recorded point, in the
// order they came. A standard signal already held is dropped, as the
// kernel merges a standard signal with one still pending.
func (t *task) hold(signo int, info []byte) {
	if t.injected != nil && t.injected.signo == signo {
		// The signal rewind raised again came where it cannot be named
		// either: it goes back first in line, with its own siginfo.
		t.pending = append([]pendingSignal{*t.injected}, t.pending...)
		t.injected = nil
		return
	}
	if signo < 32 && t.holds(signo) {
		return
	}
	t.pending = append(t.pending, pendingSignal{signo, info})
}

// preempted records that t was stopped between syscalls so another
// thread can run, and delivers a signal it holds there.
func (r *recording) preempted(t *task, regs unix.PtraceRegs, atBoundary bool) error {
	t.dom.release(t)
	if !atBoundary {
		var err error
		if regs, err = r.toPatchable(t, regs); err == errNotNow {
			t.retrySoon = true
			if t.dom.cur == nil {
				t.dom.cur = t
			}
			return nil
		} else if err != nil {
			return err
		}
		if err := r.flush(t, regs.Rip); err != nil {
			return err
		}
		if err := r.settle(t); err != nil {
			return err
		}
		digest, err := r.digest(t, regs)
		if err != nil {
			return err
		}
		r.preemptions++
		if err := r.write(&trace.Frame{Kind: trace.KindPreempt, Tid: int32(t.Pid), Regs: regs, Digest: digest,
			Stack: stackWindow(t.Proc, regs.Rsp-trace.RedZone)}); err != nil {
			return err
		}
		t.boundary, t.boundaryRegs, t.boundaryDigest = true, regs, digest
	}
	if t.deliverable() {
		// The point is named now: the held signal can be delivered. It
		// stops the thread again before any instruction runs.
		p := t.pending[0]
		t.pending = t.pending[1:]
		t.injected = &p
		t.dom.cur = t
		return unix.Tgkill(t.tgid, t.Pid, unix.Signal(p.signo))
	}
	return nil
}

// digest fingerprints the memory of t's process at a preemption point.
func (r *recording) digest(t *task, regs unix.PtraceRegs) ([]byte, error) {
	digest, maps, err := t.MemDigest(tracee.DigestOptions{Skip: [][2]uint64{{preload.Region, preload.RegionEnd}},
		Stacks: r.liveStacks(t, regs), PerMap: debugSched, CRC: true})
	if debugSched {
		fmt.Fprintf(os.Stderr, "sched: digest of %d at %#x: %q\n", t.Pid, regs.Rip, maps)
	}
	return digest[:], err
}

// atBoundary tells whether t, stopped at regs, is still at its last
// recorded point: the same registers, and at a preemption point the same
// memory too.
func (r *recording) atBoundary(t *task, regs unix.PtraceRegs) (bool, error) {
	if !t.boundary || regs != t.boundaryRegs {
		return false, nil
	}
	if t.boundaryDigest == nil {
		return true, nil
	}
	digest, err := r.digest(t, regs)
	return bytes.Equal(digest, t.boundaryDigest), err
}

// liveStacks lists the lowest live stack address of each thread of t's
// process (tracee.DigestOptions.Stacks): t at regs, threads in a syscall
// where they entered it, the others where they stopped.
func (r *recording) liveStacks(t *task, regs unix.PtraceRegs) []uint64 {
	var live []uint64
	for _, o := range r.tasks {
		if o.tgid != t.tgid || o.state == exiting || o.state == starting {
			continue
		}
		sp := regs.Rsp
		switch {
		case o == t:
		case o.inSyscall:
			sp = o.entry.Rsp
		default:
			other, err := o.Regs()
			if err != nil {
				continue
			}
			sp = other.Rsp
		}
		if sp > trace.RedZone {
			live = append(live, sp-trace.RedZone)
		}
	}
	return live
}

// stackWindow reads up to 256 bytes at addr, as far as they are mapped.
func stackWindow(t *tracee.Proc, addr uint64) []byte {
	for n := 256; n >= 8; n /= 2 {
		buf := make([]byte, n)
		if t.ReadMem(addr, buf) == nil {
			return buf
		}
	}
	return nil
}

// errNotNow: the thread is at no point replay can find (inside a rep
// instruction, or in the syscall buffer library); it runs on and is
// preempted again a little later.
var errNotNow = errors.New("no preemption point here")

// toPatchable single-steps t, a few instructions at most, to one where
// replay can put a trampoline (tracee.Patchable): finding the point again
// is then nearly free. It stops before syscalls and trapped instructions,
// and gives up (errNotNow) where no point can be named.
func (r *recording) toPatchable(t *task, regs unix.PtraceRegs) (unix.PtraceRegs, error) {
	code := make([]byte, 16)
	for i := 0; i < 64; i++ {
		if t.ReadMem(regs.Rip, code) != nil {
			return regs, nil
		}
		if tracee.Repeating(code) || t.inLibrary(regs.Rip) {
			return regs, errNotNow
		}
		if ok, stop := tracee.Patchable(code); ok || stop {
			return regs, nil
		}
		if err := t.Step(0); err != nil {
			return regs, err
		}
		ws, err := r.waitFor(t)
		if err != nil {
			return regs, err
		}
		if ws.Stopped() && ws.StopSignal() != unix.SIGTRAP && ws.StopSignal() != tracee.StopSyscall {
			// A signal came meanwhile (a CPU-time timer): it is held,
			// and delivered at the point, like the others.
			info, err := t.Siginfo()
			if err != nil {
				return regs, err
			}
			t.hold(int(ws.StopSignal()), info)
			i--
			continue
		}
		if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
			return regs, fmt.Errorf("stepping thread %d to a preemption point: %s", t.Pid, tracee.Describe(ws))
		}
		if regs, err = t.Regs(); err != nil {
			return regs, err
		}
	}
	return regs, nil
}

// waitFor waits for t's next event, handling those of other threads.
func (r *recording) waitFor(t *task) (unix.WaitStatus, error) {
	for {
		ev, _, err := r.waiter.Wait(0)
		if err != nil {
			return 0, err
		}
		if ev.Tid == t.Pid {
			return ev.Status, nil
		}
		if err := r.otherEvent(ev); err != nil {
			return 0, err
		}
	}
}

// otherEvent handles ev, an event of another thread met while waiting for
// one, as nextEvent would: it waits in the queue while an exclusive call
// holds it back. (Handled at once, a vfork parent's return came before
// its child's execve when make, stepped to a point for its SIGCHLD, met
// it: replay then waited for ever.)
func (r *recording) otherEvent(ev tracee.Event) error {
	if r.queueIfHeld(r.exclusive(), ev) {
		return nil
	}
	return r.event(ev)
}

// isQueued tells whether an event of thread tid waits in the queue.
func (r *recording) isQueued(tid int) bool {
	for _, ev := range r.queued {
		if ev.Tid == tid {
			return true
		}
	}
	return false
}

// settle makes the trace hold, before t's preemption point, the results
// of other threads' syscalls that have already finished in the kernel
// (their memory writes are in the memory digested at that point): it
// waits until every thread of t's domain in a syscall either sleeps there
// or has stopped at its exit, and handles the exits.
func (r *recording) settle(t *task) error {
	deadline := time.Now().Add(20 * time.Millisecond)
	for time.Now().Before(deadline) {
		busy, done := false, false
		for _, o := range r.tasks {
			if o == t || o.dom != t.dom || o.state != inKernel || r.isQueued(o.Pid) {
				continue
			}
			switch tracee.State(o.Pid) {
			case 'S', 'D', 'Z', 'X', 0:
			case 't', 'T':
				done = true
			default:
				busy = true
			}
		}
		if done {
			ev, ok, err := r.waiter.Wait(time.Millisecond)
			if err != nil {
				return err
			}
			if ok {
				if err := r.otherEvent(ev); err != nil {
					return err
				}
			}
			continue
		}
		if !busy {
			return nil
		}
		time.Sleep(10 * time.Microsecond)
	}
	return nil
}

// emulateInsn records a trapped rdtsc, rdtscp or cpuid.
func (r *recording) emulateInsn(t *task, regs unix.PtraceRegs) (bool, error) {
	var code [3]byte
	if err := t.ReadMem(regs.Rip, code[:]); err != nil {
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
	if err := t.SetRegs(&after); err != nil {
		return true, err
	}
	if err := r.flush(t, regs.Rip); err != nil {
		return true, err
	}
	// A recorded point too: replay sets these registers there.
	t.boundary, t.boundaryRegs, t.boundaryDigest = true, after, nil
	return true, r.write(&trace.Frame{Kind: trace.KindInsn, Tid: int32(t.Pid), Regs: regs, After: after})
}
