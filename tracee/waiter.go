package tracee

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Event is one wait status of a traced thread.
type Event struct {
	Tid    int
	Status unix.WaitStatus
}

// Waiter reports the wait events of all traced threads, optionally with a
// timeout.
//
// The tracer's own thread always blocks in wait4: handing each event over
// from a helper thread cost about 60 µs a stop on these VMs (two
// cross-thread wake-ups), more than the ptrace stop itself. A timeout is
// made an event instead: an "alarm" child, traced like the program, sleeps;
// when the timeout passes a timer signals it, its signal stop ends the
// wait4, and the tracer resumes it and reports the timeout.
type Waiter struct {
	alarm *os.Process
}

// alarmSignal wakes the alarm child; its delivery is suppressed.
const alarmSignal = unix.SIGUSR1

// NewWaiter starts the alarm child. It must run on the tracer's thread,
// which becomes the child's tracer. Close ends it.
func NewWaiter() (*Waiter, error) {
	// The short sleeps of poll should be short.
	unix.Prctl(unix.PR_SET_TIMERSLACK, 1000, 0, 0, 0)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		return nil, fmt.Errorf("the recorder's timer needs sleep(1): %w", err)
	}
	p, err := os.StartProcess(sleep, []string{"sleep", "infinity"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return nil, fmt.Errorf("starting the recorder's timer: %w", err)
	}
	w := &Waiter{alarm: p}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(p.Pid, &ws, unix.WALL, nil); err != nil || !ws.Stopped() {
		w.Close()
		return nil, fmt.Errorf("starting the recorder's timer: %v %v", err, describe(ws))
	}
	unix.PtraceSetOptions(p.Pid, unix.PTRACE_O_EXITKILL)
	if err := unix.PtraceCont(p.Pid, 0); err != nil {
		w.Close()
		return nil, fmt.Errorf("starting the recorder's timer: %w", err)
	}
	return w, nil
}

// Close ends the alarm child.
func (w *Waiter) Close() {
	w.alarm.Kill()
	var ws unix.WaitStatus
	unix.Wait4(w.alarm.Pid, &ws, unix.WALL, nil)
}

// Wait returns the next event of any traced thread; ok is false when the
// timeout (> 0) passed first. A timeout of 0 waits for ever.
func (w *Waiter) Wait(timeout time.Duration) (ev Event, ok bool, err error) {
	deadline := time.Now().Add(timeout)
	if timeout > 0 && timeout < time.Millisecond {
		return w.poll(deadline)
	}
	if timeout > 0 {
		pid := w.alarm.Pid
		t := time.AfterFunc(timeout, func() { unix.Kill(pid, alarmSignal) })
		defer t.Stop()
	}
	for {
		ev, err := waitAny(0)
		if err != nil || ev.Tid != w.alarm.Pid {
			return ev, err == nil, err
		}
		if err := w.resumeAlarm(ev); err != nil {
			return Event{}, false, err
		}
		// A signal from an earlier wait's timer can arrive late: only
		// this wait's deadline counts.
		if timeout > 0 && !time.Now().Before(deadline) {
			return Event{}, false, nil
		}
	}
}

// resumeAlarm sends the alarm child back to sleep after its signal stop
// ev, dropping the signal.
func (w *Waiter) resumeAlarm(ev Event) error {
	if !ev.Status.Stopped() {
		return fmt.Errorf("the recorder's timer ended: %s", describe(ev.Status))
	}
	if err := unix.PtraceCont(w.alarm.Pid, 0); err != nil {
		return fmt.Errorf("resuming the recorder's timer: %w", err)
	}
	return nil
}

// poll waits for less than Go's timers can time (they round up to a
// millisecond): it looks for an event in short sleeps.
func (w *Waiter) poll(deadline time.Time) (Event, bool, error) {
	for {
		ev, err := waitAny(unix.WNOHANG)
		switch {
		case err != nil:
			return ev, false, err
		case ev.Tid == w.alarm.Pid: // a late alarm
			if err := w.resumeAlarm(ev); err != nil {
				return Event{}, false, err
			}
			continue
		case ev.Tid > 0:
			return ev, true, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Event{}, false, nil
		}
		ts := unix.NsecToTimespec(int64(min(left, 25*time.Microsecond)))
		unix.Nanosleep(&ts, nil)
	}
}

func waitAny(options int) (Event, error) {
	var ws unix.WaitStatus
	for {
		tid, err := unix.Wait4(-1, &ws, unix.WALL|options, nil)
		if err == unix.EINTR {
			continue
		}
		return Event{Tid: tid, Status: ws}, err
	}
}
