package tracee

import (
	"time"

	"golang.org/x/sys/unix"
)

// Event is one wait status of a traced thread.
type Event struct {
	Tid    int
	Status unix.WaitStatus
}

// Waiter reports the wait events of all traced threads, optionally with a
// timeout. Without a timeout the caller's thread waits itself (no extra
// cost); with one, a helper thread blocks in wait4 and hands the event
// over, so the tracer can give up and do something else (switch threads,
// preempt one) while the wait stays pending.
type Waiter struct {
	req     chan struct{}
	res     chan waitResult
	pending bool // the helper is waiting, or holds an event not yet taken
}

type waitResult struct {
	ev  Event
	err error
}

// NewWaiter starts the helper; Close stops it.
func NewWaiter() *Waiter {
	// Short sleeps of the caller's thread (see Wait) should be short.
	unix.Prctl(unix.PR_SET_TIMERSLACK, 1000, 0, 0, 0)
	w := &Waiter{req: make(chan struct{}), res: make(chan waitResult, 1)}
	go func() {
		for range w.req {
			ev, err := waitAny()
			w.res <- waitResult{ev, err}
		}
	}()
	return w
}

// Close stops the helper once its pending wait, if any, has returned.
func (w *Waiter) Close() { close(w.req) }

// Wait returns the next event of any traced thread; ok is false when the
// timeout (> 0) passed first. A timeout of 0 waits for ever.
func (w *Waiter) Wait(timeout time.Duration) (ev Event, ok bool, err error) {
	if !w.pending && timeout <= 0 {
		ev, err = waitAny()
		return ev, err == nil, err
	}
	if !w.pending {
		w.req <- struct{}{}
		w.pending = true
	}
	if timeout > 0 && timeout < time.Millisecond {
		// Go timers are coarse at this scale: sleep in small steps.
		deadline := time.Now().Add(timeout)
		for {
			select {
			case r := <-w.res:
				w.pending = false
				return r.ev, r.err == nil, r.err
			default:
			}
			left := time.Until(deadline)
			if left <= 0 {
				return Event{}, false, nil
			}
			ts := unix.NsecToTimespec(int64(min(left, 25*time.Microsecond)))
			unix.Nanosleep(&ts, nil)
		}
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case r := <-w.res:
		w.pending = false
		return r.ev, r.err == nil, r.err
	case <-expired:
		return Event{}, false, nil
	}
}

func waitAny() (Event, error) {
	var ws unix.WaitStatus
	for {
		tid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		return Event{Tid: tid, Status: ws}, err
	}
}
