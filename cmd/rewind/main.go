// Command rewind records a Linux program once and replays it exactly, as
// often as needed, under a GDB remote-protocol server.
//
//	rewind record [-o DIR] [--] PROG ARGS...
//	rewind replay -a [TRACE]
//	rewind ps|dump|info [TRACE]
//	rewind doctor
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Exit codes of rewind's own failures. A recorded or replayed program's
// own status is passed through as is.
const (
	exitDiverged = 124 // replay stopped matching the recording
	exitFailed   = 125 // rewind's own error: usage, bad trace, …
	exitNotExec  = 126 // the program exists but cannot be run
	exitNotFound = 127 // the program does not exist
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(code int, err error) error { return &exitError{code, err} }

var commands = map[string]struct {
	run   func(args []string) error
	usage string
}{
	"record": {cmdRecord, "record [-o DIR] [-n] [--serial] [--cpuid=auto|trap|off] [--ticks=auto|pmu|soft] [--] PROG ARGS...   run PROG and record it"},
	"replay": {cmdReplay, "replay [-a] [-p|-f PID] [TRACE]   replay a recording (default: the latest); -a without a debugger, -p/-f debug process PID from its exec/fork"},
	"ps":     {cmdPs, "ps [TRACE]               list the processes of a recording"},
	"dump":   {cmdDump, "dump [TRACE]             print the events of a recording"},
	"info":   {cmdInfo, "info [TRACE]             print the header of a recording"},
	"check":  {cmdCheck, "check [TRACE]            verify a recording without replaying it (exit 1: incomplete, 125: damaged)"},
	"doctor": {cmdDoctor, "doctor                   print what this host offers and what rewind will use"},

	// Other debuggers and editors (rr.go, vscode.go).
	"rr":              {cmdRR, "rr --version|record|replay ...   answer as rr does for Delve's rr backend"},
	"install-rr-link": {cmdInstallRRLink, "install-rr-link DIR      make DIR/rr run rewind as rr (for Delve)"},
	"vscode":          {cmdVSCode, "vscode [--port N] [TRACE]   print VS Code launch configurations for a recording"},
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: rewind COMMAND [ARGS]")
	for _, name := range []string{"record", "replay", "ps", "dump", "info", "check", "doctor", "vscode", "install-rr-link", "rr"} {
		fmt.Fprintln(os.Stderr, "  rewind "+commands[name].usage)
	}
}

func main() {
	if filepath.Base(os.Args[0]) == "rr" {
		os.Exit(run(append([]string{"rr"}, os.Args[1:]...))) // Delve's rr: see rr.go
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	defer startProfile()()
	if len(args) == 0 {
		usage()
		return exitFailed
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		warnf("unknown command %q (try rewind --help)", args[0])
		return exitFailed
	}
	err := cmd.run(args[1:])
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			warnf("%v", ee.err)
		}
		return ee.code
	}
	warnf("%v", err)
	return exitFailed
}

// warnf prints one of rewind's own messages.
func warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "rewind: "+format+"\n", args...)
}

// traceRoot is where recordings go when no -o is given.
func traceRoot() string {
	if d := os.Getenv("REWIND_TRACE_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/tmp"
	}
	return filepath.Join(home, ".local", "share", "rewind")
}
