package gdbserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// clientSignal converts a signal number from a packet to Linux.
func (ss *session) clientSignal(n int) int {
	if ss.linuxSignals {
		return n
	}
	return fromGDBSignal(n)
}

// wireSignal converts a Linux signal number for a reply.
func (ss *session) wireSignal(sig int) int {
	if ss.linuxSignals {
		return sig
	}
	return toGDBSignal(sig)
}

func parseSignal(s string) (int, error) {
	v, err := strconv.ParseUint(s, 16, 8)
	if err != nil {
		return 0, malformed("signal %q", s)
	}
	return int(v), nil
}

// simpleResume handles c, C, s and S (the resume thread is Hc's). An
// address argument (resume elsewhere) would change the past: refused.
func (ss *session) simpleResume(s string) error {
	a := Action{Step: s[0] == 's' || s[0] == 'S', Tid: -1}
	args := s[1:]
	if s[0] == 'C' || s[0] == 'S' {
		sig, rest, _ := strings.Cut(args, ";")
		n, err := parseSignal(sig)
		if err != nil {
			return ss.replyErr(err)
		}
		a.Signal = ss.clientSignal(n)
		args = rest
	}
	if args != "" {
		return ss.replyErr(fmt.Errorf("resuming at another address: %w", ErrWriteRefused))
	}
	if a.Step || a.Signal != 0 || ss.cThread > 0 {
		tid, err := ss.resolve(ss.cThread)
		if err != nil {
			return ss.replyErr(err)
		}
		a.Tid = tid
	}
	return ss.resume(a)
}

// vCont handles vCont;<action>[:<thread>]... The replay runs one thread at
// a time, so the request becomes one Action: the first step action wins
// (stepping its thread while the others "continue" is what a serialized
// replay does anyway), else a continue delivering the first signal given.
func (ss *session) vCont(s string) error {
	if s == "vCont?" {
		return ss.reply("vCont;c;C;s;S")
	}
	rest, ok := strings.CutPrefix(s, "vCont;")
	if !ok || rest == "" {
		return ss.replyErr(malformed("%q", s))
	}
	var step, sigCont, cont *Action
	for _, f := range strings.Split(rest, ";") {
		act, th, hasThread := strings.Cut(f, ":")
		if act == "" {
			return ss.replyErr(malformed("vCont action %q", f))
		}
		a := Action{Tid: -1}
		switch act[0] {
		case 'c', 's':
			if len(act) != 1 {
				return ss.replyErr(malformed("vCont action %q", f))
			}
		case 'C', 'S':
			n, err := parseSignal(act[1:])
			if err != nil {
				return ss.replyErr(err)
			}
			a.Signal = ss.clientSignal(n)
		default:
			// t (stop) and r (range step) are not advertised.
			return ss.replyErr(malformed("vCont action %q not supported", f))
		}
		a.Step = act[0] == 's' || act[0] == 'S'
		if hasThread {
			tid, err := parseThreadID(th)
			if err != nil {
				return ss.replyErr(err)
			}
			a.Tid = tid
		}
		switch {
		case a.Step && step == nil:
			step = &a
		case !a.Step && a.Signal != 0 && sigCont == nil:
			sigCont = &a
		case !a.Step && cont == nil:
			cont = &a
		}
	}
	var a Action
	switch {
	case step != nil:
		a = *step
	case sigCont != nil:
		a = *sigCont
	default:
		a = *cont
	}
	if a.Step || a.Signal != 0 || a.Tid > 0 {
		tid, err := ss.resolve(a.Tid)
		if err != nil {
			return ss.replyErr(err)
		}
		a.Tid = tid
	} else {
		a.Tid = -1
	}
	return ss.resume(a)
}

func (k StopKind) exit() bool { return k == StopExited || k == StopKilled }

// normalize fills in the defaults of a Stop from the target.
func (ss *session) normalize(st Stop) Stop {
	if st.Kind.exit() {
		return st
	}
	if st.Tid <= 0 {
		st.Tid = ss.srv.lastStop().Tid
		if tid, err := ss.resolve(0); err == nil {
			st.Tid = tid
		}
	}
	if st.Signal == 0 {
		switch st.Kind {
		case StopSWBreak, StopHWBreak, StopWatch, StopRWatch, StopAWatch:
			st.Signal = sigTRAP
		case StopReplayEnd:
			st.Signal = sigKILL
		}
	}
	return st
}

// resume runs the target until it stops, watching the client for
// interrupts meanwhile, and replies with the stop.
func (ss *session) resume(a Action) error {
	if a.Dir == Reverse && !ss.t.Reverse() {
		return ss.replyErr(ErrReverseUnsupported)
	}
	if ss.srv.lastStop().Kind.exit() {
		return ss.replyErr(ErrExited)
	}
	for {
		st, interrupted, err := ss.runTarget(a)
		if err != nil {
			if errors.Is(err, errClientGone) {
				return err
			}
			if errors.Is(err, context.Canceled) {
				st, err = Stop{Kind: StopSignal, Signal: sigINT}, nil
			} else {
				ss.srv.log.Printf("gdbserver: resume %+v: %v", a, err)
				return ss.replyErr(err)
			}
		}
		st = ss.normalize(st)
		ss.srv.setStop(st)
		// QPassSignals: signals the client does not want to hear about
		// are delivered and the target goes on.
		// An interrupt ends the run whatever the signal.
		if !interrupted && st.Kind == StopSignal && st.Signal != 0 && ss.passSignals[st.Signal] && a.Dir == Forward && !a.Step {
			a = Action{Tid: st.Tid, Signal: st.Signal}
			continue
		}
		if !st.Kind.exit() {
			ss.gThread, ss.cThread = st.Tid, st.Tid
		}
		return ss.replyStop(st)
	}
}

var errClientGone = errors.New("client disconnected while the target ran")

// maxPending bounds the packets kept for after a stop (each at most the
// packet size): more are dropped.
const maxPending = 64

// runTarget calls Target.Resume in a goroutine and cancels its context
// when the client sends an interrupt. Packets other than interrupts that
// arrive meanwhile are kept for after the stop. interrupted says whether
// the client interrupted the run.
func (ss *session) runTarget(a Action) (st Stop, interrupted bool, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if ss.events == nil {
		st, err = ss.t.Resume(ctx, a)
		return st, false, err
	}
	type result struct {
		st  Stop
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := ss.t.Resume(ctx, a)
		done <- result{st, err}
	}()
	events := ss.events
	for {
		select {
		case r := <-done:
			return r.st, interrupted, r.err
		case ev, ok := <-events:
			switch {
			case !ok:
				// The client is gone: stop the target and end.
				cancel()
				<-done
				return Stop{}, true, errClientGone
			case errors.Is(ev.err, ErrInterrupt):
				interrupted = true
				cancel()
			case ev.err != nil && !Recoverable(ev.err):
				cancel()
				<-done
				return Stop{}, true, fmt.Errorf("%w: %v", errClientGone, ev.err)
			case len(ss.pending) >= maxPending:
				// No debugger sends that much while waiting for a stop
				// reply; keep memory bounded against one that does.
				ss.srv.log.Printf("gdbserver: dropped a packet received while the target ran (%d already queued)", maxPending)
			default:
				ss.pending = append(ss.pending, ev)
			}
		}
	}
}

// stopReply formats a stop for the client.
func (ss *session) stopReply(st Stop) string {
	var b strings.Builder
	switch st.Kind {
	case StopExited:
		fmt.Fprintf(&b, "W%02x", st.Status&0xff)
		if ss.multiprocess {
			fmt.Fprintf(&b, ";process:%x", ss.t.Pid())
		}
		return b.String()
	case StopKilled:
		fmt.Fprintf(&b, "X%02x", ss.wireSignal(st.Signal)&0xff)
		if ss.multiprocess {
			fmt.Fprintf(&b, ";process:%x", ss.t.Pid())
		}
		return b.String()
	}
	fmt.Fprintf(&b, "T%02xthread:%s;core:0;", ss.wireSignal(st.Signal)&0xff, ss.threadID(st.Tid))
	switch st.Kind {
	case StopSWBreak:
		if ss.swbreak {
			b.WriteString("swbreak:;")
		}
	case StopHWBreak:
		if ss.hwbreak {
			b.WriteString("hwbreak:;")
		}
	case StopWatch:
		fmt.Fprintf(&b, "watch:%x;", st.Addr)
	case StopRWatch:
		fmt.Fprintf(&b, "rwatch:%x;", st.Addr)
	case StopAWatch:
		fmt.Fprintf(&b, "awatch:%x;", st.Addr)
	case StopReplayBegin:
		b.WriteString("replaylog:begin;")
	case StopReplayEnd:
		b.WriteString("replaylog:end;")
	}
	if ss.listThreads {
		threads := ss.threads()
		b.WriteString("threads:")
		for i, tid := range threads {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%x", tid)
		}
		b.WriteString(";thread-pcs:")
		for i, tid := range threads {
			if i > 0 {
				b.WriteByte(',')
			}
			var pc uint64
			if rs, err := ss.t.Registers(tid); err == nil && rs != nil {
				pc = rs.Regs.Rip
			}
			fmt.Fprintf(&b, "%x", pc)
		}
		b.WriteByte(';')
	}
	return b.String()
}

func (ss *session) replyStop(st Stop) error { return ss.reply(ss.stopReply(st)) }
