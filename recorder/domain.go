package recorder

import "rewind/tracee"

// domain is a set of threads that share memory: the threads of a
// process, a vfork child with its parent until it execs, a forked child
// with a parent that maps memory shared, and the processes that map one
// file shared and writable. One thread of a domain runs at a time;
// domains run side by side. With Options.Serial every thread is in one
// domain, and one runs at a time.
type domain struct {
	cur  *task // the thread resumed in user mode, or in a syscall
	last int   // the thread picked last
	// shares: a process of it maps memory shared, which its forked
	// children share too.
	shares bool
}

// release gives up t's turn, if it has it.
func (d *domain) release(t *task) {
	if d.cur == t {
		d.cur = nil
	}
}

// newDomain returns the domain of a process with memory of its own.
func (r *recording) newDomain() *domain {
	if r.opts.Serial {
		if r.serial == nil {
			r.serial = &domain{}
		}
		return r.serial
	}
	return &domain{}
}

// domains lists the domains of the live threads, in creation order.
func (r *recording) domains() []*domain {
	var ds []*domain
	for _, tid := range r.order {
		d := r.tasks[tid].dom
		seen := false
		for _, o := range ds {
			seen = seen || o == d
		}
		if !seen {
			ds = append(ds, d)
		}
	}
	return ds
}

// joinFile puts t's domain with those of the other processes that map
// the file of (device, inode) shared and writable: t is about to map it
// so. Processes mapping different files stay apart (every tool of go
// build maps its own telemetry counters so).
func (r *recording) joinFile(t *task, file [2]uint64) {
	t.dom.shares = true
	if d := r.fileDomains[file]; d != nil {
		r.merge(t, d)
		return
	}
	r.fileDomains[file] = t.dom
}

// merge moves t's domain, every thread in it, into d. t is stopped at a
// call; if a thread of d runs, t waits for its turn there.
func (r *recording) merge(t *task, d *domain) {
	old := t.dom
	if old == d {
		return
	}
	for _, o := range r.tasks {
		if o.dom == old {
			o.dom = d
		}
	}
	for file, fd := range r.fileDomains {
		if fd == old {
			r.fileDomains[file] = d
		}
	}
	d.shares = d.shares || old.shares
	if d.cur == nil {
		d.cur = old.cur
	}
}

// forkDomain gives child, a process t forked, a domain of its own, unless
// t maps memory shared: then the child has that memory too, and both
// are in t's domain.
func (r *recording) forkDomain(t, child *task) error {
	child.dom = t.dom
	if t.dom.shares || r.opts.Serial {
		return nil
	}
	maps, err := tracee.ReadMaps(t.Pid)
	if err != nil {
		return err
	}
	for _, m := range maps {
		if len(m.Perms) == 4 && m.Perms[3] == 's' {
			t.dom.shares = true
			return nil
		}
	}
	child.dom = r.newDomain()
	return nil
}

// leaveDomain gives t, which has just exec'd, a domain of its own: its
// old memory is gone. A vfork parent stays where it was.
func (r *recording) leaveDomain(t *task) {
	old := t.dom
	t.dom = r.newDomain()
	if old.cur == t {
		old.cur, t.dom.cur = nil, t
	}
}

// cpuPlan spreads the recorded processes over the CPUs rewind may use.
// A process stays on one CPU from its exec on, and replay pins it to the
// same one: CPUID answers differ between CPUs (their APIC ids), and the
// C library keeps them in memory.
type cpuPlan struct {
	cpus []int // those rewind may run on
	root int   // the CPU of the first process, and of rewind's own thread
}

func newCPUPlan(root int) cpuPlan {
	cpus, _ := tracee.CPUs(0)
	return cpuPlan{cpus: cpus, root: root}
}

// placeExec pins t's process, which has just exec'd, to the CPU where
// the fewest threads of other domains run (one asleep in a syscall, a
// shell waiting for its child, does not count).
func (r *recording) placeExec(t *task) error {
	if r.opts.Serial || len(r.cpus.cpus) < 2 {
		return nil
	}
	// A domain counts once, on the CPU of a thread of it that works:
	// running, in a call that does not wait, or stopped for rewind
	// (which resumes it soon; missing those put two compilers of
	// make -j2 on one CPU).
	busy, counted := map[int]int{}, map[*domain]bool{}
	for _, o := range r.tasks {
		if o.dom == t.dom || counted[o.dom] {
			continue
		}
		working := o.state == ready || o.state == starting ||
			(o.state == running || o.state == inKernel && !o.entered) && !sleeping(o.Pid)
		if working {
			busy[o.cpu]++
			counted[o.dom] = true
		}
	}
	// The first process's CPU first: rewind's own thread runs there, and
	// a ptrace stop costs half as much on one CPU as across two.
	best := r.cpus.root
	for _, c := range r.cpus.cpus {
		if busy[c] < busy[best] {
			best = c
		}
	}
	if best == t.cpu {
		return nil
	}
	if err := tracee.Pin(t.Pid, best); err != nil {
		return err
	}
	t.cpu = best
	return nil
}

// takeOutput lets t, at the entry of a write to rewind's stdout or
// stderr, make it when no other thread is in one. Replay echoes these
// writes in the order of the trace, which must be the order the kernel
// made them in: processes side by side would race there.
func (r *recording) takeOutput(t *task) {
	switch {
	case r.output == nil:
		r.output = t
	case r.output != t:
		t.waitsOutput = true
	}
}

// releaseOutput ends t's turn at the output, if it has it.
func (r *recording) releaseOutput(t *task) {
	if r.output == t {
		r.output = nil
	}
}

// mayRun tells whether c, ready, may be resumed: not while it waits for
// the output.
func (r *recording) mayRun(c *task) bool {
	if !c.waitsOutput {
		return true
	}
	if r.output != nil {
		return false
	}
	r.output, c.waitsOutput = c, false
	return true
}
