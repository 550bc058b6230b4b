package replayer

import (
	"fmt"

	"golang.org/x/sys/unix"

	"rewind/trace"
)

// The debugged process. The replay runs the whole recorded tree, but the
// debugger sees one process of it (s.tid): its threads, registers, memory
// and breakpoints. By default that is the first process, from the start of
// the recording. Options.Process picks another, as rr's replay -p and -f
// do: the replay runs without the debugger up to that process's first exec
// (AtFork: up to the fork that created it), and its history starts there
// (s.begin). Going back never goes before begin: reverse execution stops
// there with the replay-begin stop, as it stops at the start of the
// recording for the first process; restarting at an earlier event goes to
// begin.

// debugProcess replays up to the point where process pid is debugged from,
// its first event after its exec or fork, and makes it the debugged
// process. It is called at the start.
func (s *Session) debugProcess(pid int32, atFork bool) error {
	execed := pid == int32(s.tid) // the first process: its exec was the start
	// Debugged from here: the end of others (the first process may end
	// before pid's first event) is not its end.
	s.tid = int(pid)
	for !execed && !(atFork && s.tgidOf[pid] == pid) {
		if s.done {
			if tgid, ok := s.tgidOf[pid]; ok && tgid != pid {
				return fmt.Errorf("%d is a thread of process %d, not a process", pid, tgid)
			} else if ok {
				return fmt.Errorf("process %d never execs in the recording (debug it from its fork instead)", pid)
			}
			return fmt.Errorf("the recording has no process %d (rewind ps lists them)", pid)
		}
		f, err := s.peek()
		if err == nil {
			err = s.Step()
		}
		if err != nil {
			return fmt.Errorf("replaying up to process %d: %w", pid, err)
		}
		execed = f.Kind == trace.KindSyscall && (f.Nr == unix.SYS_EXECVE || f.Nr == unix.SYS_EXECVEAT) &&
			f.Result == 0 && s.tgidOf[f.Tid] == pid
	}
	// Up to its first event: the events of others in between do not move
	// it, and there a step back from its first instruction finds the
	// start, not another process's event.
	for !s.done {
		f, err := s.peek()
		if err != nil {
			return fmt.Errorf("replaying up to process %d: %w", pid, err)
		}
		if s.tgidOf[f.Tid] == pid {
			break
		}
		if err := s.Step(); err != nil {
			return fmt.Errorf("replaying up to process %d: %w", pid, err)
		}
	}
	s.begin = s.frame
	return s.focusAtBegin()
}

// focusAtBegin makes a thread of the debugged process the current one at
// begin (after a fork, the parent's frame was the last one replayed), so
// that the debugger's first step and every fingerprint taken there are of
// that process, however the replay came back to begin.
func (s *Session) focusAtBegin() error {
	if s.frame != s.begin || s.inMain() {
		return nil
	}
	if tids := s.Threads(); len(tids) > 0 {
		return s.switchTo(int32(tids[0]))
	}
	return nil
}
