package tracee

import "runtime"

// Executor runs functions on one locked OS thread, the tracer thread.
type Executor struct {
	work chan func()
}

// NewExecutor starts the tracer thread.
func NewExecutor() *Executor {
	e := &Executor{work: make(chan func())}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its tracees
		for f := range e.work {
			f()
		}
	}()
	return e
}

// Do runs f on the tracer thread and waits for it.
func (e *Executor) Do(f func()) {
	done := make(chan struct{})
	e.work <- func() { defer close(done); f() }
	<-done
}
