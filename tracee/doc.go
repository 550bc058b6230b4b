// Package tracee controls traced Linux processes: starting them under
// ptrace, stopping and resuming, registers, memory, and syscalls injected
// into a stopped tracee.
//
// Linux accepts ptrace requests for a tracee only from the OS thread that
// attached it, so every call of this package for a given tracee must run on
// one locked thread: use an Executor.
package tracee
