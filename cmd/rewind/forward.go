package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// forwarded are the signals that would end rewind record. They go to the
// recorded program instead, so that they do to it what they would do to
// it run alone; rewind lives on and finalizes the trace when the program
// exits (whether of the signal or not).
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// terminalSignals are sent by a terminal to its whole foreground process
// group (^C, ^\, hangup); the program is in rewind's group, so when that
// group is in the foreground the program got them already.
var terminalSignals = map[os.Signal]bool{syscall.SIGINT: true, syscall.SIGQUIT: true, syscall.SIGHUP: true}

// signalForwarder passes forwarded signals to the program from the
// moment it starts until stop.
type signalForwarder struct {
	sigs    chan os.Signal
	pid     chan int
	done    chan struct{}
	stopped chan struct{}
}

// forwardSignals starts catching the forwarded signals. Those that
// arrive before the program starts are passed on once it has.
func forwardSignals() *signalForwarder {
	f := &signalForwarder{sigs: make(chan os.Signal, 8), pid: make(chan int, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	signal.Notify(f.sigs, forwarded...)
	go f.run()
	return f
}

// started is recorder.Options.Started. Only the first call counts (the
// program; its own children get signals from it).
func (f *signalForwarder) started(pid int) {
	select {
	case f.pid <- pid:
	default:
	}
}

// stop ends forwarding; the signals take their default effect again.
func (f *signalForwarder) stop() {
	signal.Stop(f.sigs)
	close(f.done)
	<-f.stopped
}

func (f *signalForwarder) run() {
	defer close(f.stopped)
	var p *target
	select {
	case pid := <-f.pid:
		p = openTarget(pid)
		defer p.close()
	case <-f.done:
		return
	}
	for {
		select {
		case s := <-f.sigs:
			if terminalSignals[s] && inForeground() {
				continue // the terminal sent it to the program too
			}
			if err := p.signal(s.(syscall.Signal)); err != nil && err != unix.ESRCH {
				warnf("warning: passing %v on to the program: %v", s, err)
			}
		case <-f.done:
			return
		}
	}
}

// target is the program, by pidfd where the kernel has them, so that a
// signal can never reach another process that reused the pid.
type target struct {
	pid   int
	pidfd int // -1 without
}

func openTarget(pid int) *target {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		fd = -1
	}
	return &target{pid: pid, pidfd: fd}
}

func (t *target) signal(sig syscall.Signal) error {
	if t.pidfd >= 0 {
		return unix.PidfdSendSignal(t.pidfd, sig, nil, 0)
	}
	return unix.Kill(t.pid, sig)
}

func (t *target) close() {
	if t.pidfd >= 0 {
		unix.Close(t.pidfd)
	}
}

// inForeground says whether rewind's process group is the foreground
// job of its controlling terminal.
func inForeground() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// Below this much free space a recording cannot even copy the C library.
const (
	minFreeSpace  = 4 << 20
	lowFreeSpace  = 100 << 20
	probeFileSize = 4096
)

// preflight checks, before the program starts, that the trace can be
// written to dir: that the directory exists or can be made, takes a file
// and has room. made says whether it created dir.
func preflight(dir string) (made bool, err error) {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		made = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("cannot write the recording: %w", err)
	}
	if err := probeWrite(dir); err != nil {
		return made, fmt.Errorf("cannot write the recording to %s: %w", dir, err)
	}
	free, err := freeSpace(dir)
	switch {
	case err != nil:
		warnf("warning: cannot tell the free space in %s: %v", dir, err)
	case free < minFreeSpace:
		return made, fmt.Errorf("cannot write the recording to %s: only %d KiB free on its file system", dir, free>>10)
	case free < lowFreeSpace:
		warnf("warning: only %d MiB free in %s: the recording stops if the disk fills", free>>20, dir)
	}
	return made, nil
}

// probeWrite writes and removes a small file in dir.
func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".rewind-probe-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, probeFileSize))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// freeSpace returns the bytes this process may still write in dir's file
// system (root may use the blocks reserved for it).
func freeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	blocks := st.Bavail
	if os.Geteuid() == 0 {
		blocks = st.Bfree
	}
	return blocks * uint64(st.Bsize), nil
}
