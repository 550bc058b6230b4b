package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of rewind itself to the file named by
// $REWIND_CPUPROFILE, for finding where recording or replay spends its
// time (go tool pprof bin/rewind FILE); the returned func stops it.
func startProfile() func() {
	path := os.Getenv("REWIND_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		warnf("warning: REWIND_CPUPROFILE: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		warnf("warning: REWIND_CPUPROFILE: %v", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
