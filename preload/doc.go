// Package preload holds librewind_static.so, rewind's in-process syscall
// buffer, and the layout the recorder and replayer share with it.
//
// The library (csrc/preload.c, built by build.sh through go generate; the
// built file is checked in and embedded) is loaded by rewind into every
// process of a recording, and of its replay, just after each exec (Start).
// Its set-up fills a code page at a fixed address with an "untraced"
// syscall instruction, registers a buffer slot per thread with rewind,
// installs a seccomp filter that lets only the untraced instruction
// through without a ptrace stop, and patches the syscall instructions of
// the dynamic linker (or of a static program) to jump to stubs; rewind has
// it patch libc's as soon as the dynamic linker maps libc (PatchText).
// A thread created later registers its slot with a syscall numbered
// SysRegister. Common calls
// (read, write, stat, clock_gettime, futex, …) then run at the untraced
// site and their results and output go into the thread's buffer; the
// recorder copies the buffer into the trace before the thread's next
// event, and replay loads it back so the library returns the same results
// without making the calls.
//
// The library records a marker and makes the call traced instead when the
// buffer is full, when rewind asks (a signal waits for delivery), or when
// the call blocked and rewind interrupted it (it returns -Abort then):
// replay follows the markers, so it takes the same path.
package preload

//go:generate sh build.sh
