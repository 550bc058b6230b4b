package recorder

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
	"rewind/tracee"
)

// Scheduling: threads that share memory form a domain (domain.go), and
// one thread of a domain runs user code at a time, so the order of their
// effects on that memory is the order of the trace. Domains run side by
// side, each process on its own CPU: they touch nothing of each other's
// but through the kernel, whose answers are recorded. Threads of a domain
// switch at syscalls that block (the blocked one stays in the kernel
// while others run, its result is recorded when it returns), at exits,
// and by preemption of a thread that runs long without syscalls.
const (
	// blockCheck: a syscall still running after this long is looked at:
	// if its thread sleeps in the kernel, other threads run meanwhile;
	// blockAfter: after this long it is taken as blocked anyway.
	blockCheck = 50 * time.Microsecond
	blockAfter = 2 * time.Millisecond
	// timeslice: how long a thread may run between syscalls while others
	// wait, before it is preempted.
	timeslice = 50 * time.Millisecond
	// jobCheck: how often threads stopped by a stop signal are looked at
	// while nothing else runs (a SIGCONT from outside wakes no tracer).
	jobCheck = 5 * time.Millisecond
)

type recording struct {
	opts      Options
	w         *trace.Writer
	files     *fileStore
	cpuidTrap bool
	waiter    *tracee.Waiter
	tasks     map[int]*task
	order     []int // tids in creation order, for round-robin
	queued    []tracee.Event
	cpus      cpuPlan
	output    *task   // in a write to rewind's stdout or stderr (takeOutput)
	serial    *domain // with --serial, the domain of every thread
	// fileDomains: the domain of the processes that map a file (device,
	// inode) shared and writable.
	fileDomains  map[[2]uint64]*domain
	warnedShared map[string]bool // files mapped shared and writable, warned about
	rootPid      int
	status       unix.WaitStatus // the root process's end
	preemptions  int
	// programFilters: a program installed a seccomp filter of its own
	// (seccomp.go), so seccomp stops may be its denials.
	programFilters bool
	lastRun        map[int]int              // process → its thread resumed last
	exitMarks      map[int][]trace.MemWrite // process → its robust futex marks, from its exit_group
	rng            *rand.Rand
	// stdout and stderr identify the recording's output files.
	stdout, stderr *unix.Stat_t
}

func newRecording(opts Options) *recording {
	r := &recording{opts: opts, stdout: fileID(opts.Stdout), stderr: fileID(opts.Stderr), tasks: map[int]*task{}, lastRun: map[int]int{}, exitMarks: map[int][]trace.MemWrite{}, warnedShared: map[string]bool{}, fileDomains: map[[2]uint64]*domain{},
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))}
	if r.stdout != nil && r.stderr != nil && *r.stdout == *r.stderr {
		r.stderr = nil // one file for both (2>&1): echo everything as stdout
	}
	return r
}

type taskState int

const (
	ready      taskState = iota // stopped at a point already recorded
	running                     // resumed in user mode
	inKernel                    // resumed into a syscall not yet returned
	exiting                     // in its exit call; not to be scheduled again
	starting                    // created; its first stop has not arrived
	jobStopped                  // stopped by SIGSTOP and the like, until SIGCONT
)

// task is one thread of the recorded tree.
type task struct {
	*tracee.Proc
	tgid  int
	dom   *domain
	cpu   int // the CPU its process is pinned to
	state taskState
	sig   int // signal to deliver when it resumes
	// clearFault: sig is no fault of the program; its frame's fault
	// information is cleared (enterHandler).
	clearFault bool
	// The syscall in progress.
	inSyscall bool
	entry     unix.PtraceRegs
	entryInfo *arch.Syscall
	disabled  bool
	denied    uint64         // the program's filter denied the call: it fails with this errno
	filter    *filterScratch // the call installs the program's filter, rewritten there
	restart   bool
	entered   bool // a KindEnter frame was written for it
	// boundary: no instruction ran since the registers boundaryRegs were
	// recorded (a syscall exit or preemption), so a signal arriving now
	// is delivered exactly there. At a preemption, boundaryDigest is the
	// memory's: a loop that keeps its state in memory comes back to the
	// same registers.
	boundary       bool
	boundaryRegs   unix.PtraceRegs
	boundaryDigest []byte
	pending        []pendingSignal
	injected       *pendingSignal
	// interrupted is the last call that may continue as restart_syscall.
	interrupted     *arch.Syscall
	interruptedArgs [6]uint64
	stopSent        bool   // SIGSTOP sent to preempt it
	child           int    // the thread its last clone created
	robust          uint64 // its robust futex list, read as it exits
	execFrom        int    // the thread whose exec this leader carries on
	execSeen        bool
	sliceStart      time.Time
	lookedAt        time.Time     // when expire last looked at it
	slice           time.Duration // how long it may run this time
	retrySoon       bool          // a preemption failed: the next slice is short
	yieldSoon       bool          // … and it gives way at its next traced call
	buf             bufferState
	waitsOutput     bool // to write to rewind's output, after r.output
	// parentTgid: the process its end is reported to (0: rewind);
	// vforkParent: the thread that waits for its exec or end (vfork);
	// vforkChild: the child this thread waits for, until it execs or ends.
	parentTgid              int
	vforkParent, vforkChild *task
	// unclaimed: its first stop came before its creator's clone event,
	// which tells what it inherits; it is not run before.
	unclaimed bool
}

type pendingSignal struct {
	signo int
	info  []byte
}

func (r *recording) addTask(p *tracee.Proc, state taskState, dom *domain) *task {
	t := &task{Proc: p, tgid: tracee.Tgid(p.Pid), state: state, dom: dom}
	r.tasks[p.Pid] = t
	r.order = append(r.order, p.Pid)
	return t
}

func (r *recording) removeTask(tid int) {
	if t := r.tasks[tid]; t != nil {
		t.vforkDone()
		t.Release()
		t.dom.release(t)
		r.releaseOutput(t)
	}
	delete(r.tasks, tid)
	for i, id := range r.order {
		if id == tid {
			r.order = append(r.order[:i:i], r.order[i+1:]...)
			break
		}
	}
}

// killAll ends every thread after a failed recording.
func (r *recording) killAll() {
	for _, t := range r.tasks {
		unix.Kill(t.Pid, unix.SIGKILL)
	}
	for len(r.tasks) > 0 {
		ev, _, err := r.waiter.Wait(0)
		if err != nil {
			return
		}
		if ev.Status.Exited() || ev.Status.Signaled() {
			r.removeTask(ev.Tid)
		}
	}
}

func (r *recording) run(root *tracee.Proc) (Result, error) {
	r.rootPid = root.Pid
	t := r.addTask(root, ready, r.newDomain())
	t.cpu = r.cpus.root
	f, err := r.captureExec(t)
	if err != nil {
		return Result{}, err
	}
	if err := r.write(f); err != nil {
		return Result{}, err
	}
	for len(r.tasks) > 0 {
		for _, d := range r.domains() {
			if d.cur == nil {
				d.cur = r.pick(d)
			}
			if c := d.cur; c != nil && c.state == ready && r.mayRun(c) {
				if err := r.resume(c); err != nil {
					return Result{}, err
				}
			}
		}
		ev, ok, err := r.nextEvent()
		if err != nil {
			return Result{}, fmt.Errorf("waiting for the program: %w", err)
		}
		if !ok {
			err = r.expired()
		} else if err = r.event(ev); err != nil {
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				err = fmt.Errorf("thread %d, %s: %w", ev.Tid, tracee.Describe(ev.Status), err)
			}
		}
		if err != nil {
			return Result{}, err
		}
	}
	return Result{Status: r.status}, nil
}

// currents lists the threads whose domain's turn they have.
func (r *recording) currents() []*task {
	var cs []*task
	for _, d := range r.domains() {
		if d.cur != nil {
			cs = append(cs, d.cur)
		}
	}
	return cs
}

// nextEvent returns the next event to handle. While a current thread
// runs a call whose effects must come first in the trace (exclusive),
// the events it holds back wait in the queue.
func (r *recording) nextEvent() (tracee.Event, bool, error) {
	excl := r.exclusive()
	for i, ev := range r.queued {
		if !r.heldBack(excl, ev, r.tasks[ev.Tid]) {
			r.queued = append(r.queued[:i:i], r.queued[i+1:]...)
			return ev, true, nil
		}
	}
	for {
		ev, ok, err := r.waiter.Wait(r.timeout())
		if err != nil || !ok || !r.queueIfHeld(excl, ev) {
			return ev, ok, err
		}
		excl = r.exclusive()
	}
}

// exclusive lists the current threads in a call whose effects must be
// recorded before anything else happens that they may cause: exec,
// exit, mmap… (the arch.Execute calls that do not wait). A PI futex
// unlock is one: the waiter it hands the lock to returns with the lock
// word written, which must not come before the unlock in the trace.
func (r *recording) exclusive() []*task {
	var excl []*task
	for _, c := range r.currents() {
		if c.state == exiting ||
			c.state == inKernel && c.entryInfo.Policy == arch.Execute && !blocksInKernel(c) ||
			c.state == inKernel && c.entryInfo.Nr == unix.SYS_FUTEX && arch.FutexHandsOver(arch.SyscallArgs(&c.entry)) {
			excl = append(excl, c)
		}
	}
	return excl
}

// heldBack tells whether ev, an event of thread t (nil if not known
// yet), waits. A vfork parent waits until its child's execve frame is
// written or the child is gone: it returns once the child's exec is under
// way, and replay runs it on after that frame. An exclusive call holds
// back the events of the other threads of its domain. A clone holds back
// every thread's (its child's first ones must come after it). An exit
// also holds back the parent process (SIGCHLD, wait4), or every thread
// when that one is gone (an orphan's end goes to a reaper); processes
// that share nothing with it go on. Its own thread's events go on, and at
// an exit or exec those of the other threads of its process, which end
// (an exec by a thread other than the leader comes under the leader's id).
// (Those events go on even when another exclusive call would hold them
// back: processes exiting side by side each wait for their own end.)
func (r *recording) heldBack(excl []*task, ev tracee.Event, t *task) bool {
	if t != nil && t.vforkChild != nil {
		return true
	}
	for _, c := range excl {
		if ev.Tid == c.Pid || t != nil && t.tgid == c.tgid && changesProcess(c) {
			return false
		}
	}
	for _, c := range excl {
		switch {
		case arch.IsClone(c.entry.Orig_rax):
			return true
		case t == nil:
			if changesProcess(c) {
				return true
			}
		case t.dom == c.dom:
			return true
		case c.state == exiting && (t.tgid == c.parentTgid || c.parentTgid != 0 && !r.alive(c.parentTgid)):
			return true
		}
	}
	return false
}

// queueIfHeld puts ev in the queue if the exclusive calls excl hold it
// back, and tells whether they do.
func (r *recording) queueIfHeld(excl []*task, ev tracee.Event) bool {
	if !r.heldBack(excl, ev, r.tasks[ev.Tid]) {
		return false
	}
	r.queued = append(r.queued, ev)
	return true
}

// alive tells whether a thread of process tgid is traced.
func (r *recording) alive(tgid int) bool {
	for _, t := range r.tasks {
		if t.tgid == tgid && t.state != exiting {
			return true
		}
	}
	return false
}

// vforkDone lets t's vfork parent, if any, go on: t exec'd or ended.
func (t *task) vforkDone() {
	if p := t.vforkParent; p != nil && p.vforkChild == t {
		p.vforkChild = nil
	}
	t.vforkParent = nil
}

// changesProcess tells whether c's call ends its process or replaces its
// image.
func changesProcess(c *task) bool {
	nr := c.entry.Orig_rax
	return c.state == exiting || nr == unix.SYS_EXECVE || nr == unix.SYS_EXECVEAT
}

// pick chooses the next thread of d to run: round-robin after the last
// one, or at random in chaos mode; nil when none is ready.
func (r *recording) pick(d *domain) *task {
	var readyTasks []*task
	next := 0
	for _, tid := range r.order {
		t := r.tasks[tid]
		if t.dom != d {
			continue
		}
		if t.continued() {
			t.state = ready // it takes the SIGCONT as it goes on
		}
		if t.state == ready && !t.unclaimed {
			readyTasks = append(readyTasks, t)
		}
		if tid == d.last {
			next = len(readyTasks) // the first ready one after it
		}
	}
	if len(readyTasks) == 0 {
		return nil
	}
	t := readyTasks[next%len(readyTasks)]
	if r.opts.Chaos {
		t = readyTasks[r.rng.IntN(len(readyTasks))]
	}
	d.last = t.Pid
	return t
}

// othersReady tells whether a thread of c's domain waits for its turn.
func (r *recording) othersReady(c *task) bool {
	for _, t := range r.tasks {
		if t != c && t.dom == c.dom && (t.state == ready || t.continued()) {
			return true
		}
	}
	return false
}

func (r *recording) resume(t *task) error {
	if t.sig != 0 && t.clearFault {
		t.clearFault = false
		if tracee.Caught(t.Pid, t.sig) {
			entered, err := r.enterHandler(t)
			if err == unix.ESRCH {
				t.state = exiting // killed meanwhile: its end is on the way
				return nil
			}
			if err != nil {
				return fmt.Errorf("delivering a signal to thread %d: %w", t.Pid, err)
			}
			if !entered {
				t.state, r.lastRun[t.tgid] = running, t.Pid
				return nil
			}
		}
	}
	sig := t.sig
	t.sig = 0
	if t.buf.resetGS {
		t.buf.resetGS = false
		if err := preload.ResetThreadGS(t.Proc); err == unix.ESRCH {
			t.state = exiting // killed meanwhile: its end is on the way
			return nil
		} else if err != nil {
			return fmt.Errorf("thread %d: %w", t.Pid, err)
		}
	}
	resume := t.Syscall
	if t.buf.filtered && !t.inSyscall {
		resume = t.Cont // the filter stops it at its next traced call
	}
	if err := resume(sig); err == unix.ESRCH {
		t.state = exiting // killed meanwhile: its end is on the way
		return nil
	} else if err != nil {
		return fmt.Errorf("resuming thread %d: %w", t.Pid, err)
	}
	r.lastRun[t.tgid] = t.Pid
	switch {
	case t.state == exiting:
	case t.inSyscall:
		t.state = inKernel
	default:
		t.state = running
	}
	t.sliceStart, t.slice = time.Now(), timeslice
	t.lookedAt = t.sliceStart
	if r.opts.Chaos {
		t.slice = time.Duration(1+r.rng.IntN(20)) * time.Millisecond
	}
	if t.retrySoon {
		t.slice, t.retrySoon = time.Millisecond, false
	}
	t.buf.pollWait = time.Millisecond
	return nil
}

// timeout is how long to wait for the next event before looking at a
// current thread again; 0 waits for ever.
func (r *recording) timeout() time.Duration {
	var wait time.Duration
	some := false
	for _, c := range r.currents() {
		d, ok := r.due(c)
		if ok && c.state == running && !c.deliverable() {
			// Its timeslice and buffered calls are timed coarsely: a
			// wait of a millisecond or more sleeps (tracee.Waiter).
			d = max(d, time.Millisecond)
		}
		if ok && (!some || d < wait) {
			wait, some = d, true
		}
	}
	if r.jobStopped() && (!some || jobCheck < wait) {
		return jobCheck // SIGCONT may come from outside the tree
	}
	if !some {
		return 0
	}
	return max(wait, time.Microsecond)
}

// due tells how soon current thread c is to be looked at (expire): to
// switch threads of its domain, or to deliver a held signal; false when
// nothing is to be done until it stops.
func (r *recording) due(c *task) (time.Duration, bool) {
	if c.stopSent {
		return 0, false
	}
	if c.state == running && c.deliverable() {
		// A held signal needs a point to be delivered at: preempt soon,
		// even with no other thread to run.
		return time.Millisecond - time.Since(c.sliceStart), true
	}
	if !r.othersReady(c) {
		return 0, false
	}
	switch c.state {
	case inKernel:
		if c.entryInfo.Policy == arch.Execute && !blocksInKernel(c) {
			return 0, false // address-space and task changes complete at once
		}
		return blockCheck - time.Since(c.lookedAt), true
	case running:
		left := c.slice - time.Since(c.sliceStart)
		if c.buf.slot != 0 {
			// A buffered call may block: look again soon.
			left = min(left, c.buf.pollWait-time.Since(c.lookedAt))
		}
		return left, true
	}
	return 0, false
}

// continued tells whether t, stopped by a stop signal, has a SIGCONT.
func (t *task) continued() bool {
	return t.state == jobStopped && tracee.ContPending(t.Pid)
}

// jobStopped tells whether a thread waits for SIGCONT.
func (r *recording) jobStopped() bool {
	for _, t := range r.tasks {
		if t.state == jobStopped {
			return true
		}
	}
	return false
}

// sleeping tells whether a thread waits in the kernel (state S or D).
func sleeping(tid int) bool {
	st := tracee.State(tid)
	return st == 'S' || st == 'D'
}

// blocksInKernel reports executed calls that wait for other threads: a
// vfork parent waits for the child's exec or exit.
func blocksInKernel(t *task) bool {
	flags, _ := arch.CloneFlags(t.entry.Orig_rax, arch.SyscallArgs(&t.entry), t)
	return flags&arch.CloneVfork != 0
}

// expired handles a timeout: each current thread that is due blocked in
// a syscall, or ran its timeslice out while others of its domain wait.
// (A look for SIGCONT needs nothing more: pick takes it.)
func (r *recording) expired() error {
	for _, c := range r.currents() {
		if d, ok := r.due(c); ok && d <= 0 {
			if err := r.expire(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *recording) expire(c *task) error {
	c.lookedAt = time.Now()
	switch c.state {
	case inKernel:
		if time.Since(c.sliceStart) < blockAfter && !sleeping(c.Pid) {
			return nil // still working: wait more
		}
		f := &trace.Frame{Kind: trace.KindEnter, Tid: int32(c.Pid), Regs: c.entry, Nr: c.entryInfo.Nr}
		if arch.IsClone(c.entryInfo.Nr) {
			if c.child == 0 {
				return nil // its new thread is not reported yet
			}
			// A vfork parent: the child it waits for is named, so replay
			// can create it before running it.
			f.Result = int64(c.child)
		}
		if c.entryInfo.Nr == unix.SYS_FUTEX {
			if addr, ok := arch.FutexWordOnEntry(arch.SyscallArgs(&c.entry)); ok {
				word := make([]byte, 4)
				if c.ReadMem(addr, word) == nil {
					f.Mem = []trace.MemWrite{{Addr: addr, Data: word}}
				}
			}
		}
		c.entered = true
		c.dom.release(c)
		if err := r.flush(c, c.entry.Rip); err != nil {
			return err
		}
		return r.write(f)
	case running:
		if !c.deliverable() && time.Since(c.sliceStart) < c.slice {
			// A check for a buffered call that blocked: it is interrupted
			// and made again traced (abortUntraced).
			if !blockedInBuffer(c.Pid) {
				c.buf.pollWait = min(2*c.buf.pollWait, 10*time.Millisecond)
				return nil
			}
		}
		c.stopSent = true
		if err := unix.Tgkill(c.tgid, c.Pid, unix.SIGSTOP); err != nil && err != unix.ESRCH {
			return fmt.Errorf("preempting thread %d: %w", c.Pid, err)
		}
	}
	return nil
}

var debugSched = os.Getenv("REWIND_DEBUG_SCHED") != ""

// event handles one wait status of any thread.
func (r *recording) event(ev tracee.Event) error {
	t := r.tasks[ev.Tid]
	ws := ev.Status
	if debugSched {
		st := -1
		if t != nil {
			st = int(t.state)
		}
		fmt.Fprintf(os.Stderr, "sched: event tid %d state %d: %s cause %d\n", ev.Tid, st, tracee.Describe(ws), ws.TrapCause())
	}
	if t == nil {
		if ws.Exited() || ws.Signaled() {
			return nil // a thread already accounted for
		}
		// A new thread's first stop can come before its creator's event.
		p, err := tracee.Adopt(ev.Tid)
		if err != nil {
			return err
		}
		t = r.addTask(p, starting, r.newDomain()) // its creator's clone event tells which
		t.unclaimed = true
	}
	switch {
	case ws.Exited() || ws.Signaled():
		return r.died(t, ws)
	case !ws.Stopped():
		return nil
	case t.state == starting:
		// The first stop of a new thread (SIGSTOP, or a group stop).
		t.state = ready
		return nil
	case t.state == exiting:
		return nil // a stop on the way out: it is not resumed again
	}
	t.state = ready
	var err error
	switch sig := ws.StopSignal(); {
	case sig == tracee.StopSyscall:
		if !t.inSyscall {
			err = r.syscallEntry(t)
		} else {
			err = r.syscallExit(t)
		}
	case sig == tracee.StopSyscall && t.buf.untraced:
		t.buf.untraced = false // the exit of the library's own call
	case sig == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_SECCOMP:
		// With the filter, the entry of a traced call; or the program's
		// own filter denies the call (after its entry stop without ours).
		handled := false
		if r.programFilters {
			handled, err = r.programDenied(t)
		}
		if !handled && err == nil && t.buf.filtered && !t.inSyscall {
			err = r.syscallEntry(t)
		}
	case sig == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_EXEC:
		err = r.execEvent(t)
	case tracee.CloneEvent(ws):
		err = r.cloned(t)
	case sig == unix.SIGTRAP && ws.TrapCause() != 0:
		// Other events are not enabled.
	default:
		err = r.signal(t, int(sig))
	}
	return err
}

// cloned handles a clone, fork or vfork event: the new thread exists,
// stopped (or about to be); the parent goes on into the syscall's exit.
func (r *recording) cloned(t *task) error {
	msg, err := t.EventMsg()
	if err != nil {
		return err
	}
	t.child = int(msg)
	child := r.tasks[int(msg)]
	if child == nil {
		p, err := tracee.Adopt(int(msg))
		if err != nil {
			return err
		}
		child = r.addTask(p, starting, nil)
	}
	child.unclaimed = false
	flags, _ := arch.CloneFlags(t.entry.Orig_rax, arch.SyscallArgs(&t.entry), t)
	child.parentTgid = t.tgid
	if flags&(arch.CloneThread|arch.CloneParent) != 0 {
		child.parentTgid = t.parentTgid
	}
	if flags&arch.CloneVfork != 0 {
		child.vforkParent, t.vforkChild = t, child
	}
	// A thread, or a process sharing memory with t, is in t's domain.
	child.dom, child.cpu = t.dom, t.cpu
	if flags&(arch.CloneThread|arch.CloneVM) == 0 {
		if err := r.forkDomain(t, child); err != nil {
			return err
		}
	}
	// The filter is inherited; so is the buffer slot, unless the child
	// is a thread with its own TLS, which registers its own.
	child.buf.filtered, child.buf.text = t.buf.filtered, t.buf.text
	if flags&arch.CloneVM == 0 || flags&arch.CloneSettls == 0 {
		child.buf.slot, child.buf.known = t.buf.slot, t.buf.known
	}
	if flags&arch.CloneThread != 0 {
		// A thread of the syscall buffer's library finds its slot
		// through %gs, which it inherited: it takes its own.
		if preload.InRegion(t.entry.Gs_base) {
			child.buf.slot, child.buf.resetGS = 0, true
		}
	}
	return nil
}

func (r *recording) execEvent(t *task) error {
	former, _ := t.EventMsg()
	if int(former) != t.Pid {
		// A thread other than the leader exec'd: it took the leader's id
		// and the old one is gone.
		if old := r.tasks[int(former)]; old != nil {
			t.inSyscall, t.entry, t.entryInfo = old.inSyscall, old.entry, old.entryInfo
			t.execFrom = old.Pid // its execve frame is the old thread's
			r.removeTask(int(former))
			t.dom.cur = t
		}
	}
	r.leaveDomain(t)
	t.execSeen = true
	t.buf.slot, t.buf.text = 0, [2]uint64{} // a new image: its library registers anew
	return t.ReopenMem()
}

// died handles the end of a thread. A thread that ended by its own exit
// call is recorded then; the end of a process is recorded when its
// leader is reaped, which is last.
func (r *recording) died(t *task, ws unix.WaitStatus) error {
	r.removeTask(t.Pid)
	if t.Pid != t.tgid {
		if t.state == exiting && t.entryInfo != nil && t.entryInfo.Nr == unix.SYS_EXIT {
			return r.write(&trace.Frame{Kind: trace.KindExit, Flags: trace.FlagThread, Tid: int32(t.Pid), Status: int32(ws),
				Mem: r.exitWrites(t)})
		}
		return nil // killed with its process
	}
	// Any thread of the process still listed died unseen (exec, a race
	// with SIGKILL).
	for tid, o := range r.tasks {
		if o.tgid == t.tgid {
			r.removeTask(tid)
		}
	}
	if t.Pid == r.rootPid {
		r.status = ws
	}
	cause := r.lastRun[t.tgid]
	if cause == 0 {
		cause = t.Pid // it never ran: killed from outside
	}
	delete(r.lastRun, t.tgid)
	marks := r.exitMarks[t.tgid]
	delete(r.exitMarks, t.tgid)
	return r.write(&trace.Frame{Kind: trace.KindExit, Tid: int32(cause), Status: int32(ws), Mem: marks})
}
