package recorder

import (
	"testing"

	"golang.org/x/sys/unix"

	"rewind/tracee"
)

// TestHeldBack checks which threads' events an exclusive call holds back:
// its domain's always, a clone everyone's, an exit its parent process's
// (everyone's when that one is gone), a vfork child its parent until it
// exec'd, and never those of processes that share nothing with it.
func TestHeldBack(t *testing.T) {
	r := newRecording(Options{})
	newTask := func(pid, tgid int, d *domain, state taskState) *task {
		tk := &task{Proc: &tracee.Proc{Pid: pid}, tgid: tgid, dom: d, state: state}
		r.tasks[pid] = tk
		return tk
	}
	make1, make2 := &domain{}, &domain{}
	parent := newTask(10, 10, make1, inKernel)    // gcc waiting in vfork
	child := newTask(11, 11, &domain{}, inKernel) // its child, in execve
	child.vforkParent, parent.vforkChild, child.parentTgid = parent, child, 10
	child.entry.Orig_rax = unix.SYS_EXECVE
	other := newTask(20, 20, make2, ready) // another compiler
	sibling := newTask(12, 10, make1, ready)
	if !r.heldBack([]*task{child}, tracee.Event{Tid: 10}, parent) {
		t.Error("an exec does not hold back its vfork parent")
	}
	if r.heldBack([]*task{child}, tracee.Event{Tid: 20}, other) || r.heldBack([]*task{child}, tracee.Event{Tid: 12}, sibling) {
		t.Error("an exec holds back threads that share nothing with it")
	}
	if !r.heldBack([]*task{child}, tracee.Event{Tid: 30}, nil) {
		t.Error("an exec does not hold back a thread not known yet")
	}
	child.vforkDone() // its execve frame is written
	if r.heldBack([]*task{child}, tracee.Event{Tid: 10}, parent) {
		t.Error("a vfork parent is held after its child exec'd")
	}
	child.state, child.entry.Orig_rax = exiting, unix.SYS_EXIT_GROUP
	if !r.heldBack([]*task{child}, tracee.Event{Tid: 12}, sibling) {
		t.Error("an exit does not hold back its parent process")
	}
	if r.heldBack([]*task{child}, tracee.Event{Tid: 20}, other) {
		t.Error("an exit holds back an unrelated process")
	}
	parent.state, sibling.state = exiting, exiting
	if !r.heldBack([]*task{child}, tracee.Event{Tid: 20}, other) {
		t.Error("an orphan's exit does not hold back everyone (its reaper is not known)")
	}
	parent.state, sibling.state = ready, ready
	cloner := newTask(21, 20, make2, inKernel)
	cloner.entry.Orig_rax = unix.SYS_CLONE
	if !r.heldBack([]*task{cloner}, tracee.Event{Tid: 10}, parent) {
		t.Error("a clone does not hold back everyone")
	}
	mapper := newTask(22, 20, make2, inKernel)
	mapper.entry.Orig_rax = unix.SYS_MMAP
	if !r.heldBack([]*task{mapper}, tracee.Event{Tid: 20}, other) || r.heldBack([]*task{mapper}, tracee.Event{Tid: 10}, parent) {
		t.Error("an mmap holds back other than its domain's threads")
	}
	if r.heldBack([]*task{mapper}, tracee.Event{Tid: 22}, mapper) {
		t.Error("a call holds back its own thread")
	}
	// A vfork parent waits for its child's execve frame whatever the
	// recorder thinks the child is doing.
	vforker := newTask(30, 30, &domain{}, inKernel)
	execer := newTask(31, 31, &domain{}, ready)
	vforker.vforkChild, execer.vforkParent = execer, vforker
	if !r.heldBack(nil, tracee.Event{Tid: 30}, vforker) {
		t.Error("a vfork parent goes on before its child exec'd")
	}
}

// TestFileDomains checks which processes take turns over files mapped
// shared: those mapping the same file, a reader of it with them, a
// forked child with its parent; not those mapping other files.
func TestFileDomains(t *testing.T) {
	r := newRecording(Options{})
	proc := func(pid int) *task {
		tk := &task{Proc: &tracee.Proc{Pid: pid}, tgid: pid, dom: r.newDomain()}
		r.tasks[pid] = tk
		return tk
	}
	counters, other := [2]uint64{1, 100}, [2]uint64{1, 200}
	a, b, c, reader := proc(10), proc(20), proc(30), proc(40)
	r.joinFile(a, counters)
	r.joinFile(c, other)
	if a.dom == c.dom {
		t.Fatal("processes mapping different files take turns")
	}
	r.joinFile(b, counters)
	if a.dom != b.dom {
		t.Fatal("processes mapping one file run side by side")
	}
	if d := r.fileDomains[counters]; d != a.dom {
		t.Fatal("the file's domain is not its mappers'")
	}
	// A process mapping both files joins both groups into one.
	r.joinFile(c, counters)
	if c.dom != a.dom || r.fileDomains[other] != a.dom {
		t.Fatal("a process mapping two files did not join their domains")
	}
	if r.fileDomains[[2]uint64{1, 300}] != nil {
		t.Fatal("a file nobody mapped has a domain")
	}
	if reader.dom == a.dom {
		t.Fatal("a process that maps nothing shared takes turns with the mappers")
	}
	if !a.dom.shares || reader.dom.shares {
		t.Fatal("shares is wrong")
	}
	child := &task{Proc: &tracee.Proc{Pid: 11}, tgid: 11}
	if err := r.forkDomain(a, child); err != nil || child.dom != a.dom {
		t.Fatalf("a forked child of a mapper has its own domain (%v)", err)
	}
}
