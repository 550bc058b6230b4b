// Package recorder runs a program under ptrace and writes every source of
// nondeterminism it meets into a trace: syscall results and the memory
// they wrote, signals and where they were delivered, trapped rdtsc/rdtscp
// and CPUID results, and copies of the files it maps.
package recorder
