package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"rewind/gdbserver"
	"rewind/recorder"
	"rewind/replayer"
)

type replayFlags struct {
	auto     bool
	port     int
	host     string
	unixPath string
	keep     bool
	wireLog  bool
	wireFile string
	event    int64
	watch    string
	search   string
	// onProcess (-p) or onFork (-f): the recorded pid of the process to
	// debug, from its exec or from its fork.
	onProcess, onFork int
}

// searchOptions turns --preempt-search into replayer options: the ways of
// finding a preemption point, fastest first, can be forced down.
func searchOptions(search string, o *replayer.Options) error {
	switch search {
	case "auto", "trampoline":
	case "bpf":
		o.NoTrampoline = true
	case "int3":
		o.NoTrampoline, o.NoBPF = true, true
	default:
		return fail(exitFailed, fmt.Errorf("--preempt-search must be auto, bpf or int3, not %q", search))
	}
	return nil
}

func cmdReplay(args []string) error {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	var o replayFlags
	fl.BoolVar(&o.auto, "a", false, "autopilot: replay without a debugger, re-emitting the program's output")
	fl.IntVar(&o.port, "s", -1, "only serve the debugger protocol on `PORT` (0 picks a free one) and print how to attach")
	fl.IntVar(&o.port, "dbgport", -1, "same as -s")
	fl.StringVar(&o.host, "dbghost", "127.0.0.1", "address to listen on (anything but loopback lets others run code as you)")
	fl.StringVar(&o.unixPath, "unix", "", "serve on a Unix socket at `PATH` (created 0600) instead of TCP")
	fl.BoolVar(&o.keep, "k", false, "keep serving after the debugger detaches")
	fl.BoolVar(&o.wireLog, "log-gdbwire", false, "log every protocol packet to stderr")
	fl.StringVar(&o.wireFile, "log-gdbwire-file", "", "log every protocol packet to `FILE` (apart from gdb's own output)")
	fl.StringVar(&o.watch, "watchpoints", "auto", "watchpoints by `KIND`: auto (debug registers where they work, up to 4), hw (debug registers only) or page (page protection, any number)")
	fl.StringVar(&o.search, "preempt-search", "auto", "find preemption points by `WAY`: auto (an in-process trampoline where the code allows), bpf (an in-kernel conditional breakpoint) or int3 (a stop at every pass; slowest)")
	fl.Int64Var(&o.event, "g", 0, "start the debugger at event `N` (see the debugger's \"when\")")
	fl.IntVar(&o.onProcess, "p", 0, "debug process `PID` (as rewind ps lists it) from its exec, or its fork if it never execs")
	fl.IntVar(&o.onProcess, "onprocess", 0, "same as -p")
	fl.IntVar(&o.onFork, "f", 0, "debug process `PID` from the fork that created it")
	fl.IntVar(&o.onFork, "onfork", 0, "same as -f")
	// Arguments after "--" go to gdb.
	var gdbArgs []string
	for i, a := range args {
		if a == "--" {
			args, gdbArgs = args[:i], args[i+1:]
			break
		}
	}
	if err := fl.Parse(args); err != nil {
		return fail(exitFailed, nil)
	}
	dir, err := traceArg(fl)
	if err != nil {
		return err
	}
	if o.auto {
		if o.onProcess != 0 || o.onFork != 0 {
			return fail(exitFailed, errors.New("-p and -f choose the process to debug: not with -a"))
		}
		return autopilot(dir, o)
	}
	return serve(dir, o, gdbArgs)
}

// debuggedProcess turns -p/-f into replayer options, after checking the
// recording has that process: an unknown pid is a usage error, found
// before anything is replayed.
func debuggedProcess(dir string, o replayFlags, ropts *replayer.Options) error {
	pid := o.onProcess
	switch {
	case o.onProcess != 0 && o.onFork != 0:
		return fail(exitFailed, errors.New("-p and -f both choose the process to debug: give one"))
	case o.onProcess < 0 || o.onFork < 0:
		return fail(exitFailed, errors.New("-p and -f take a process id"))
	case o.onFork != 0:
		pid = o.onFork
	case pid == 0:
		return nil
	}
	p, err := findProcess(dir, int32(pid))
	if err != nil {
		return fail(exitFailed, err)
	}
	ropts.Process = p.pid
	// rr's -p: from the exec, or the first event of a process that
	// never execs, which is right after its fork.
	ropts.AtFork = o.onFork != 0 || !p.execs
	return nil
}

func autopilot(dir string, o replayFlags) error {
	runtime.LockOSThread() // every ptrace request from this thread
	defer runtime.UnlockOSThread()
	ropts := replayer.Options{Stdout: os.Stdout, Stderr: os.Stderr, Warn: func(m string) { warnf("warning: %s", m) }}
	if err := searchOptions(o.search, &ropts); err != nil {
		return err
	}
	s, err := replayer.Open(dir, ropts)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Run(); err != nil {
		var de *replayer.DivergenceError
		if errors.As(err, &de) {
			return fail(exitDiverged, err)
		}
		return err
	}
	_, ws := s.Done()
	return fail(exitCode(ws), nil)
}

// serve replays under the debugger protocol: with -s only serving, else
// starting gdb already connected.
func serve(dir string, o replayFlags, gdbArgs []string) error {
	ropts := replayer.Options{Warn: func(m string) { warnf("warning: %s", m) }}
	switch o.watch {
	case "auto":
		ropts.NoHardwareWatchpoints = recorder.ProbeDebugRegisters() != nil
	case "hw":
		ropts.Watchpoints = replayer.WatchHardware
	case "page":
		ropts.Watchpoints = replayer.WatchPages
	default:
		return fail(exitFailed, fmt.Errorf("--watchpoints must be auto, hw or page, not %q", o.watch))
	}
	if err := searchOptions(o.search, &ropts); err != nil {
		return err
	}
	if err := debuggedProcess(dir, o, &ropts); err != nil {
		return err
	}
	t, err := replayer.NewTarget(dir, ropts)
	if err != nil {
		return err
	}
	defer t.Close()
	if o.event > 0 {
		t.Session(func(s *replayer.Session) { err = s.Restart(strconv.FormatInt(o.event, 10)) })
		if err != nil {
			return fmt.Errorf("-g %d: %w", o.event, err)
		}
	}
	ln, addr, err := listen(o)
	if err != nil {
		return err
	}
	defer ln.Close()
	opts := gdbserver.Options{Log: log.New(os.Stderr, "rewind: ", 0)}
	switch {
	case o.wireFile != "":
		f, err := os.Create(o.wireFile)
		if err != nil {
			return fmt.Errorf("-log-gdbwire-file: %w", err)
		}
		defer f.Close()
		opts.WireLog = f
	case o.wireLog:
		opts.WireLog = os.Stderr
	}
	srv := gdbserver.New(t, opts)
	// Ctrl-C belongs to the debugger (it sends an interrupt packet); the
	// replayed program runs in its own process group.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
		}
	}()

	target := "extended-remote " + addr
	launch := []string{"gdb", "-l", "10000", "-ex", "set sysroot /", "-ex", "target " + target, t.ExecFile()}
	if o.port >= 0 || o.unixPath != "" {
		// rr's launch lines, which Delve parses.
		fmt.Fprintf(os.Stderr, "Launch debugger with\n  %s\n", quoteAll(launch))
		err := srv.ServeListener(ln, o.keep)
		if errors.Is(err, gdbserver.ErrKilled) {
			return nil
		}
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeListener(ln, false) }()
	init, cleanup, err := writeGDBInit()
	if err != nil {
		return err
	}
	defer cleanup()
	args := append([]string{"-x", init}, launch[1:]...)
	gdb := exec.Command("gdb", append(args, gdbArgs...)...)
	gdb.Stdin, gdb.Stdout, gdb.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := gdb.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fail(ee.ExitCode(), nil)
		}
		return fmt.Errorf("starting gdb: %w (install gdb, or use -s PORT to attach another debugger)", err)
	}
	return nil
}

func listen(o replayFlags) (net.Listener, string, error) {
	if o.unixPath != "" {
		old := syscall.Umask(0o177) // the socket is created 0600
		ln, err := net.Listen("unix", o.unixPath)
		syscall.Umask(old)
		return ln, o.unixPath, err
	}
	if ip := net.ParseIP(o.host); ip == nil || !ip.IsLoopback() {
		warnf("warning: listening on %s: anyone who can reach this port can run code as this user", o.host)
	}
	port := max(o.port, 0)
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(port)))
	if err != nil {
		return nil, "", err
	}
	return ln, ln.Addr().String(), nil
}

// quoteAll renders a command line the way rr prints it.
func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
