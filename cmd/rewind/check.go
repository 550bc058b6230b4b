package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"rewind/trace"
	"rewind/tracee"
)

// exitIncomplete is rewind check's status for a trace that is intact but
// was not finished by its recorder (it replays up to its last frame).
const exitIncomplete = 1

// cmdCheck verifies a trace without replaying it. Exit status: 0 whole,
// 1 incomplete (intact up to where the recorder stopped), 125 damaged.
func cmdCheck(args []string) error {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	if err := fl.Parse(args); err != nil {
		return fail(exitFailed, nil)
	}
	dir, err := traceArg(fl)
	if err != nil {
		return err
	}
	rep, err := trace.Check(dir)
	printReport(os.Stdout, rep, err)
	if err != nil {
		return fail(exitFailed, fmt.Errorf("check: the trace is damaged: %w", err))
	}
	switch {
	case rep.Incomplete && rep.Frames == 0:
		return fail(exitIncomplete, fmt.Errorf("check: %s is incomplete: the recorder stopped before the program started", dir))
	case rep.Incomplete:
		return fail(exitIncomplete, fmt.Errorf("check: %s is incomplete: it replays up to event %d, then ends", dir, rep.Frames-1))
	}
	return nil
}

// printReport prints what Check verified, up to the problem if any.
func printReport(out io.Writer, rep *trace.Report, err error) {
	w := tabwriter.NewWriter(out, 0, 8, 1, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "trace:\t%s\n", rep.Dir)
	if h := rep.Header; h != nil {
		fmt.Fprintf(w, "header:\tok (format %d, written by rewind %s, %s mode, recorded %s)\n",
			h.FormatVersion, h.RewindVersion, h.Mode, h.Created.Format("2006-01-02 15:04:05 MST"))
	}
	if rep.Chunks > 0 || rep.Frames > 0 {
		fmt.Fprintf(w, "events:\t%d frames in %d chunks read, every checksum verified\n", rep.Frames, rep.Chunks)
	}
	if err != nil {
		fmt.Fprintf(w, "status:\tDAMAGED (see the error)\n")
		return
	}
	if rep.Frames > 0 {
		fmt.Fprintf(w, "files:\t%d copies, all present with their recorded sizes\n", rep.Files)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note:\t%s\n", n)
	}
	switch {
	case rep.Exit != nil:
		fmt.Fprintf(w, "end:\tprogram %s\n", tracee.Describe(unix.WaitStatus(rep.Exit.Status)))
	case rep.Torn != nil:
		fmt.Fprintf(w, "end:\tcut short; lost with the recorder: %v\n", rep.Torn)
	default:
		fmt.Fprintf(w, "end:\tno exit recorded\n")
	}
	switch {
	case rep.Incomplete && rep.Frames == 0:
		fmt.Fprintf(w, "status:\tINCOMPLETE: nothing was recorded\n")
		return
	case rep.Incomplete:
		fmt.Fprintf(w, "status:\tINCOMPLETE: the recorder did not finish; replay goes up to event %d\n", rep.Frames-1)
		return
	}
	fmt.Fprintf(w, "status:\tcomplete\n")
}
