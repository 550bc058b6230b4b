package main

import (
	_ "embed"
	"os"
)

// gdbInit defines rr's commands in gdb (when, checkpoint, restart, …) on
// top of rewind's monitor commands.
//
//go:embed rewind.gdb
var gdbInit []byte

// writeGDBInit writes the script to a temporary file for gdb's -x.
func writeGDBInit() (path string, cleanup func(), err error) {
	f, err := os.CreateTemp("", "rewind-*.gdb")
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	if _, err := f.Write(gdbInit); err != nil {
		os.Remove(f.Name())
		return "", nil, err
	}
	return f.Name(), func() { os.Remove(f.Name()) }, nil
}
