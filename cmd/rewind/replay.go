package main

import (
	"errors"
	"flag"
	"os"
	"runtime"

	"rewind/replayer"
)

func cmdReplay(args []string) error {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	auto := fl.Bool("a", false, "autopilot: replay without a debugger, re-emitting the program's output")
	if err := fl.Parse(args); err != nil {
		return fail(exitFailed, nil)
	}
	dir, err := traceArg(fl)
	if err != nil {
		return err
	}
	if !*auto {
		return errors.New("replay: only autopilot (-a) is available in this build")
	}
	runtime.LockOSThread() // every ptrace request from this thread
	defer runtime.UnlockOSThread()
	s, err := replayer.Open(dir, replayer.Options{Stdout: os.Stdout, Stderr: os.Stderr, Warn: func(m string) { warnf("warning: %s", m) }})
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
