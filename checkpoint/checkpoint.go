// Package checkpoint snapshots a replaying process: a fork() injected into
// the stopped tracee leaves a child that stays stopped and traced, sharing
// memory copy-on-write, so a snapshot costs little. Restoring forks the
// snapshot again; the snapshot stays for the next time.
package checkpoint

import "rewind/tracee"

// Snapshot is a stopped copy of a process at one point of its replay.
type Snapshot struct {
	proc *tracee.Proc
}

// Take snapshots t, which must be stopped in user mode with no
// breakpoints in its memory and no signal about to be delivered.
func Take(t *tracee.Proc) (*Snapshot, error) {
	c, err := t.InjectFork()
	if err != nil {
		return nil, err
	}
	return &Snapshot{proc: c}, nil
}

// Restore returns a new process in the snapshot's state, to replay on.
func (s *Snapshot) Restore() (*tracee.Proc, error) {
	return s.proc.InjectFork()
}

// Pid is the snapshot process's pid.
func (s *Snapshot) Pid() int { return s.proc.Pid }

// Release kills the snapshot.
func (s *Snapshot) Release() { s.proc.Kill() }
