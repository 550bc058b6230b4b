package main

// rewind as rr, for Delve. Delve's rr backend (pkg/proc/gdbserial/rr.go of
// github.com/go-delve/delve) runs a binary named rr from PATH, and only in
// these three ways:
//
//	rr --version
//	    CombinedOutput must be "rr version X.Y.Z"; from 5.8.0 on Delve
//	    sends the new qRRCmd syntax (qRRCmd:<name>:-1[:<hex arg>]).
//	rr record --print-trace-dir=3 [$DELVE_RR_RECORD_FLAGS] PROG ARGS...
//	    fd 3 is a pipe that Delve reads to EOF: the trace directory.
//	rr replay --dbgport=0 [--onprocess=PID] [$DELVE_RR_REPLAY_FLAGS] TRACE
//	    in a process group of its own; Delve reads stderr up to the line
//	    "  'gdb' ... '-ex' 'target extended-remote 127.0.0.1:PORT' ... 'EXE'"
//	    and connects to that address.
//
// Run under the name rr (rewind install-rr-link DIR puts a link in DIR),
// rewind answers these with the code of its own record and replay -s, and
// refuses anything else by name: a user who expected the real rr learns
// it at once instead of getting something subtly different.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"rewind/trace"
)

// rrVersion is what rewind claims to be as rr: at least 5.8.0, the first
// version whose qRRCmd syntax Delve uses and rewind's stub parses.
const rrVersion = "5.9.0"

// rrUsage lists what rewind accepts as rr.
const rrUsage = `rewind stands in for rr only as Delve runs it:
  rr --version
  rr record [--print-trace-dir=FD] [--] PROG ARGS...
  rr replay --dbgport=PORT [--onprocess=PID] [-k] [TRACE]
Use "rewind record" and "rewind replay" for everything else.`

// rrCommand is a parsed rr command line.
type rrCommand struct {
	verb string // "version", "help", "record" or "replay"

	// record
	traceFD int      // --print-trace-dir; -1 if not given
	prog    []string // PROG ARGS...

	// replay
	port      int    // --dbgport
	onProcess int    // --onprocess; 0 if not given
	keep      bool   // -k: keep listening after the debugger detaches
	trace     string // "" for the latest recording
}

// rrError is a command line rewind does not accept as rr.
func rrError(format string, args ...any) error {
	return fail(exitFailed, fmt.Errorf("rr: "+format+"\n"+rrUsage, args...))
}

// rrOption recognizes the option name (e.g. "--dbgport") at args[i], in
// either form "--dbgport=V" or "--dbgport V". It returns the value and the
// number of arguments used: 0 if args[i] is not that option.
func rrOption(args []string, i int, names ...string) (string, int, error) {
	a := args[i]
	for _, name := range names {
		if v, ok := strings.CutPrefix(a, name+"="); ok && strings.HasPrefix(name, "--") {
			return v, 1, nil
		}
		if a == name {
			if i+1 >= len(args) {
				return "", 0, rrError("%s needs a value", name)
			}
			return args[i+1], 2, nil
		}
	}
	return "", 0, nil
}

// rrNumber parses the value of an option that must be a number >= 0.
func rrNumber(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, rrError("%s=%s: not a number", name, v)
	}
	return n, nil
}

// parseRR parses an rr command line (without the program name).
func parseRR(args []string) (rrCommand, error) {
	c := rrCommand{traceFD: -1, port: -1}
	if len(args) == 0 {
		return c, rrError("no command given")
	}
	switch args[0] {
	case "--version":
		if len(args) > 1 {
			return c, rrError("unsupported argument %q after --version", args[1])
		}
		c.verb = "version"
		return c, nil
	case "-h", "--help", "help":
		c.verb = "help"
		return c, nil
	case "record":
		return c, c.parseRecord(args[1:])
	case "replay":
		return c, c.parseReplay(args[1:])
	}
	if strings.HasPrefix(args[0], "-") {
		return c, rrError("unsupported option %q", args[0])
	}
	return c, rrError("unsupported command %q", args[0])
}

// parseRecord parses "rr record" options; the first other argument is
// the program, and everything from there on is its command line.
func (c *rrCommand) parseRecord(args []string) error {
	c.verb = "record"
	for i := 0; i < len(args); {
		a := args[i]
		if a == "--" {
			c.prog = args[i+1:]
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			c.prog = args[i:]
			break
		}
		v, n, err := rrOption(args, i, "--print-trace-dir", "-p")
		if err != nil {
			return err
		}
		if n == 0 {
			return rrError("record: unsupported option %q", a)
		}
		if c.traceFD, err = rrNumber("--print-trace-dir", v); err != nil {
			return err
		}
		i += n
	}
	if len(c.prog) == 0 {
		return rrError("record: no program given")
	}
	return nil
}

// parseReplay parses "rr replay" options and the trace directory.
func (c *rrCommand) parseReplay(args []string) error {
	c.verb = "replay"
	var traces []string
	for i := 0; i < len(args); {
		a := args[i]
		switch {
		case a == "-k" || a == "--keep-listening":
			c.keep = true
			i++
			continue
		case a == "--":
			traces = append(traces, args[i+1:]...)
			i = len(args)
			continue
		case !strings.HasPrefix(a, "-"):
			traces = append(traces, a)
			i++
			continue
		}
		if v, n, err := rrOption(args, i, "--dbgport", "-s"); err != nil {
			return err
		} else if n > 0 {
			if c.port, err = rrNumber("--dbgport", v); err != nil {
				return err
			}
			i += n
			continue
		}
		if v, n, err := rrOption(args, i, "--onprocess", "-p"); err != nil {
			return err
		} else if n > 0 {
			// rr also takes a command name here; Delve passes a pid.
			if c.onProcess, err = rrNumber("--onprocess", v); err != nil || c.onProcess == 0 {
				return rrError("replay: --onprocess=%s: only a process id is supported", v)
			}
			i += n
			continue
		}
		return rrError("replay: unsupported option %q", a)
	}
	if len(traces) > 1 {
		return rrError("replay: more than one trace given: %q", traces)
	}
	if len(traces) == 1 {
		c.trace = traces[0]
	}
	if c.port < 0 {
		// Without a port rr would start gdb itself: rewind replay does.
		return rrError("replay: only --dbgport=PORT is supported (use \"rewind replay\" to start gdb)")
	}
	return nil
}

// cmdRR answers an rr command line (rewind running as rr, or "rewind rr").
func cmdRR(args []string) error {
	c, err := parseRR(args)
	if err != nil {
		return err
	}
	switch c.verb {
	case "version":
		fmt.Println("rr version " + rrVersion)
		return nil
	case "help":
		fmt.Println(rrUsage)
		return nil
	case "record":
		return rrRecord(c)
	}
	return rrReplay(c)
}

// rrRecord records as "rewind record" does, into a directory chosen as
// rewind record chooses it, and tells Delve which once the recording is
// complete. A recording that rewind could not finish is not reported:
// Delve would replay it and fail at its end, while without a directory it
// shows rewind's error.
func rrRecord(c rrCommand) error {
	var out *os.File
	if c.traceFD >= 0 {
		// Only a descriptor inherited from the caller: every one that
		// rewind opens itself is close-on-exec.
		fd := uintptr(c.traceFD)
		flags, err := unix.FcntlInt(fd, unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			return rrError("record: --print-trace-dir=%d: file descriptor %d is not open", c.traceFD, c.traceFD)
		}
		out = os.NewFile(fd, "--print-trace-dir")
		if c.traceFD > 2 {
			// Not for the program: it would hold Delve's pipe open. The
			// standard streams are the program's own.
			if _, err := unix.FcntlInt(fd, unix.F_SETFD, flags|unix.FD_CLOEXEC); err != nil {
				return err
			}
			defer out.Close()
		}
	}
	dir, err := newTraceDir(traceRoot(), filepath.Base(c.prog[0]))
	if err != nil {
		return fmt.Errorf("choosing a trace directory: %w", err)
	}
	err = cmdRecord(append([]string{"-o", dir, "--"}, c.prog...))
	if ents, rerr := os.ReadDir(dir); rerr == nil && len(ents) == 0 {
		os.Remove(dir) // the program could not be started
		return err
	}
	if trace.Incomplete(dir) {
		return err
	}
	// rewind record -o DIR does not move latest-trace; without -o it
	// would have, and rr does.
	if lerr := linkLatest(dir); lerr != nil {
		warnf("warning: %v", lerr)
	}
	if out != nil {
		if _, werr := fmt.Fprintln(out, dir); werr != nil {
			warnf("warning: --print-trace-dir=%d: %v", c.traceFD, werr)
		}
	}
	return err
}

// rrReplay serves the replay as "rewind replay -s PORT" does, which
// prints rr's launch lines on stderr.
func rrReplay(c rrCommand) error { return cmdReplay(rrReplayArgs(c)) }

// rrReplayArgs is the rewind replay command line for an rr replay one:
// --onprocess=PID is rewind's -p PID (an unknown pid is refused there,
// with the recorded ones listed).
func rrReplayArgs(c rrCommand) []string {
	args := []string{"-s", strconv.Itoa(c.port)}
	if c.keep {
		args = append(args, "-k")
	}
	if c.onProcess != 0 {
		args = append(args, "-p", strconv.Itoa(c.onProcess))
	}
	if strings.HasPrefix(c.trace, "-") {
		args = append(args, "./"+c.trace) // not an option
	} else if c.trace != "" {
		args = append(args, c.trace)
	}
	return args
}

// cmdInstallRRLink makes DIR/rr a link to this rewind binary, so that a
// Delve that finds DIR on PATH records and replays with rewind.
func cmdInstallRRLink(args []string) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return fail(exitFailed, errors.New("usage: rewind install-rr-link DIR"))
	}
	dir, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return err
	}
	link := filepath.Join(dir, "rr")
	if _, err := os.Lstat(link); err == nil {
		// Only a link that an earlier install-rr-link made is replaced.
		if !isRewindLink(link, exe) {
			return fail(exitFailed, fmt.Errorf("%s exists and is not a link to rewind (the real rr?); not replacing it", link))
		}
		if err := os.Remove(link); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	target := exe
	if filepath.Dir(exe) == dir {
		target = filepath.Base(exe) // the pair can move together
	}
	if err := os.Symlink(target, link); err != nil {
		return err
	}
	fmt.Printf("%s -> %s\n", link, target)
	if p, err := exec.LookPath("rr"); err != nil || !sameFile(p, link) {
		warnf("note: Delve runs the first rr on PATH; put %s first", dir)
	}
	return nil
}

// isRewindLink says whether link is a symbolic link to a rewind binary.
func isRewindLink(link, exe string) bool {
	target, err := os.Readlink(link)
	if err != nil {
		return false
	}
	return filepath.Base(target) == "rewind" || sameFile(link, exe)
}

// sameFile says whether paths a and b name the same file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
