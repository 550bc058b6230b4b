// Package replayer re-executes a recorded program from its trace: syscalls
// are skipped by the kernel and their results and memory effects written
// from the trace, except those that shape the address space or the signal
// state, which run again and are checked; recorded signals and trapped
// instructions are reproduced at their recorded points. Registers are
// compared with the recorded ones at every frame, so a divergence is
// reported where it happens, never silently.
package replayer
