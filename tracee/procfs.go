package tracee

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// State is a thread's state letter in /proc/TID/stat (R, S, D, t, Z…),
// or 0 when the thread is gone.
func State(tid int) byte {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", tid))
	if err != nil {
		return 0
	}
	st := string(data)
	// The command name may hold spaces and parentheses: the state follows
	// the last ')'.
	if i := strings.LastIndexByte(st, ')'); i >= 0 && i+2 < len(st) {
		return st[i+2]
	}
	return 0
}

// Tgid returns the process (thread group) id of a thread.
func Tgid(tid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					return n
				}
			}
		}
	}
	return tid
}

// Blocked tells whether thread tid blocks signal signo now (SigBlk).
func Blocked(tid, signo int) bool { return sigMask(tid, "SigBlk:", signo) }

// Caught tells whether thread tid's process has a handler for signo.
func Caught(tid, signo int) bool { return sigMask(tid, "SigCgt:", signo) }

// ContPending tells whether SIGCONT waits for thread tid (sent to it or to
// its process): one sent to a traced process in a group-stop leaves it
// stopped, for the tracer to resume.
func ContPending(tid int) bool {
	return sigMask(tid, "SigPnd:", int(unix.SIGCONT)) || sigMask(tid, "ShdPnd:", int(unix.SIGCONT))
}

// sigMask tells whether signo is in the mask on the line named field of
// /proc/tid/status.
func sigMask(tid int, field string, signo int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && mask&(1<<(signo-1)) != 0
		}
	}
	return false
}

// WaitZombie waits until thread tid has finished exiting: a thread-group
// leader that exits before its other threads is not reported by wait4
// until they are gone, but its exit (clearing its tid, waking joiners)
// is done once it is a zombie.
func WaitZombie(tid int) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if st := State(tid); st == 0 || st == 'Z' || st == 'X' {
			return nil
		}
		time.Sleep(50 * time.Microsecond)
	}
	return fmt.Errorf("thread %d does not finish its exit", tid)
}

// SeccompFiltered tells whether a seccomp filter applies to thread tid.
func SeccompFiltered(tid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	return err == nil && strings.Contains(string(data), "\nSeccomp:\t2\n")
}
