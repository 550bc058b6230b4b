package arch

// CPUID executes the CPUID instruction on the calling thread's CPU.
func CPUID(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// RDTSC reads the time-stamp counter.
func RDTSC() uint64

// RDTSCP reads the time-stamp counter and IA32_TSC_AUX.
func RDTSCP() (tsc uint64, aux uint32)

// Instructions rewind traps and emulates, by their encodings.
var (
	InsnRDTSC   = []byte{0x0f, 0x31}
	InsnRDTSCP  = []byte{0x0f, 0x01, 0xf9}
	InsnCPUID   = []byte{0x0f, 0xa2}
	InsnSyscall = []byte{0x0f, 0x05}
)

// Auxiliary vector entry types rewind looks at.
const (
	AT_NULL         = 0
	AT_IGNORE       = 1
	AT_SYSINFO_EHDR = 33
)

// prctl/arch_prctl codes used to trap nondeterministic instructions.
const (
	PR_SET_TSC     = 26
	PR_TSC_SIGSEGV = 2
	ARCH_GET_CPUID = 0x1011
	ARCH_SET_CPUID = 0x1012
)

// SI_KERNEL is the si_code of a SIGSEGV raised by a #GP fault such as a
// trapped rdtsc or cpuid.
const SI_KERNEL = 0x80
