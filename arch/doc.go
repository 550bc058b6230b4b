// Package arch holds the x86-64 Linux facts rewind needs: register sets,
// syscall numbers and names, what each syscall writes to user memory, and
// how each one is treated during replay.
package arch
