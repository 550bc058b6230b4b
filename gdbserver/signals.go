package gdbserver

// gdb numbers signals in the remote protocol with its own target-independent
// numbering (include/gdb/signals.def); lldb and Delve use the Linux
// numbers. linuxToGDB maps Linux x86-64 signal numbers 0..31 to gdb's.
var linuxToGDB = [32]int{
	0:  0,
	1:  1,   // SIGHUP
	2:  2,   // SIGINT
	3:  3,   // SIGQUIT
	4:  4,   // SIGILL
	5:  5,   // SIGTRAP
	6:  6,   // SIGABRT
	7:  10,  // SIGBUS
	8:  8,   // SIGFPE
	9:  9,   // SIGKILL
	10: 30,  // SIGUSR1
	11: 11,  // SIGSEGV
	12: 31,  // SIGUSR2
	13: 13,  // SIGPIPE
	14: 14,  // SIGALRM
	15: 15,  // SIGTERM
	16: 143, // SIGSTKFLT: gdb has none; GDB_SIGNAL_UNKNOWN
	17: 20,  // SIGCHLD
	18: 19,  // SIGCONT
	19: 17,  // SIGSTOP
	20: 18,  // SIGTSTP
	21: 21,  // SIGTTIN
	22: 22,  // SIGTTOU
	23: 16,  // SIGURG
	24: 24,  // SIGXCPU
	25: 25,  // SIGXFSZ
	26: 26,  // SIGVTALRM
	27: 27,  // SIGPROF
	28: 28,  // SIGWINCH
	29: 23,  // SIGIO
	30: 32,  // SIGPWR
	31: 12,  // SIGSYS
}

// toGDBSignal converts a Linux signal number to gdb's numbering.
func toGDBSignal(sig int) int {
	switch {
	case sig >= 0 && sig < 32:
		return linuxToGDB[sig]
	case sig == 32:
		return 77 // GDB_SIGNAL_REALTIME_32
	case sig >= 33 && sig <= 63:
		return sig + 12 // GDB_SIGNAL_REALTIME_33 is 45
	case sig >= 64 && sig <= 127:
		return sig + 14 // GDB_SIGNAL_REALTIME_64 is 78
	}
	return 143
}

// fromGDBSignal converts gdb's signal number back to Linux; 0 for a
// number with no Linux signal.
func fromGDBSignal(g int) int {
	for linux, n := range linuxToGDB {
		if n == g && linux != 16 {
			return linux
		}
	}
	switch {
	case g == 77:
		return 32
	case g >= 45 && g <= 75:
		return g - 12
	case g >= 78 && g <= 141:
		return g - 14
	}
	return 0
}

// Linux signal numbers the server itself uses.
const (
	sigINT  = 2
	sigTRAP = 5
	sigKILL = 9
)
