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
