package arch

import "fmt"

// Syscall numbers the recorder and replayer use by name.
const (
	SysRead           = 0
	SysWrite          = 1
	SysClose          = 3
	SysMmap           = 9
	SysMprotect       = 10
	SysMunmap         = 11
	SysBrk            = 12
	SysRtSigaction    = 13
	SysRtSigprocmask  = 14
	SysRtSigreturn    = 15
	SysPwrite64       = 18
	SysWritev         = 20
	SysMremap         = 25
	SysMadvise        = 28
	SysShmat          = 30
	SysGetpid         = 39
	SysClone          = 56
	SysFork           = 57
	SysVfork          = 58
	SysExecve         = 59
	SysExit           = 60
	SysKill           = 62
	SysShmdt          = 67
	SysPtrace         = 101
	SysSigaltstack    = 131
	SysPersonality    = 135
	SysPrctl          = 157
	SysArchPrctl      = 158
	SysGettid         = 186
	SysTkill          = 200
	SysSetTidAddress  = 218
	SysRestartSyscall = 219
	SysExitGroup      = 231
	SysTgkill         = 234
	SysOpenat         = 257
	SysSeccomp        = 317
	SysGetrandom      = 318
	SysExecveat       = 322
	SysRseq           = 334
	SysIoUringSetup   = 425
	SysClone3         = 435
)

// syscallTable lists every x86-64 syscall (asm/unistd_64.h) with its
// policy and what it writes to user memory (nil: nothing).
var syscallTable = [...]Syscall{
	{0, "read", Emulate, resultBytes(1)},
	{1, "write", Emulate, nil},
	{2, "open", Emulate, nil},
	{3, "close", Emulate, nil},
	{4, "stat", Emulate, out(1, sizeofStat)},
	{5, "fstat", Emulate, out(1, sizeofStat)},
	{6, "lstat", Emulate, out(1, sizeofStat)},
	{7, "poll", Emulate, pollFdsWrites},
	{8, "lseek", Emulate, nil},
	{9, "mmap", Execute, nil},
	{10, "mprotect", Execute, nil},
	{11, "munmap", Execute, nil},
	{12, "brk", Execute, nil},
	{13, "rt_sigaction", Execute, out(2, sizeofSigaction)},
	{14, "rt_sigprocmask", Execute, argBytes(2, 3)},
	{15, "rt_sigreturn", Execute, nil},
	{16, "ioctl", Emulate, ioctlWrites},
	{17, "pread64", Emulate, resultBytes(1)},
	{18, "pwrite64", Emulate, nil},
	{19, "readv", Emulate, iovecs(1, 2)},
	{20, "writev", Emulate, nil},
	{21, "access", Emulate, nil},
	{22, "pipe", Emulate, out(0, 8)},
	{23, "select", Emulate, allOf(fdSetsWrites, inOut(4, sizeofTimeval))},
	{24, "sched_yield", Emulate, nil},
	{25, "mremap", Execute, nil},
	{26, "msync", Emulate, nil},
	{27, "mincore", Emulate, mincoreWrites},
	// MADV_DONTNEED and friends change memory contents.
	{28, "madvise", Execute, nil},
	// The segment is recorded when shmat maps it; shmget only names it.
	{29, "shmget", Emulate, nil},
	{30, "shmat", Execute, nil},
	{31, "shmctl", Emulate, shmctlWrites},
	{32, "dup", Emulate, nil},
	{33, "dup2", Emulate, nil},
	{34, "pause", Emulate, nil},
	{35, "nanosleep", Emulate, remOnInterrupt(1)},
	{36, "getitimer", Emulate, out(1, sizeofItimerval)},
	{37, "alarm", Emulate, nil},
	{38, "setitimer", Emulate, out(2, sizeofItimerval)},
	{39, "getpid", Emulate, nil},
	{40, "sendfile", Emulate, inOut(2, 8)},
	{41, "socket", Emulate, nil},
	{42, "connect", Emulate, nil},
	{43, "accept", Emulate, sockaddr(1, 2)},
	{44, "sendto", Emulate, nil},
	{45, "recvfrom", Emulate, allOf(resultBytesMax(1, 2), sockaddr(4, 5))},
	{46, "sendmsg", Emulate, nil},
	{47, "recvmsg", Emulate, recvmsgWrites},
	{48, "shutdown", Emulate, nil},
	{49, "bind", Emulate, nil},
	{50, "listen", Emulate, nil},
	{51, "getsockname", Emulate, sockaddr(1, 2)},
	{52, "getpeername", Emulate, sockaddr(1, 2)},
	{53, "socketpair", Emulate, out(3, 8)},
	{54, "setsockopt", Emulate, nil},
	{55, "getsockopt", Emulate, getsockoptWrites},
	{56, "clone", Execute, cloneWrites},
	{57, "fork", Execute, nil},
	{58, "vfork", Execute, nil},
	{59, "execve", Execute, nil},
	{60, "exit", Execute, nil},
	{61, "wait4", Emulate, wait4Writes},
	// Signals: the replayer re-delivers recorded signals itself.
	{62, "kill", Emulate, nil},
	{63, "uname", Emulate, out(0, sizeofUtsname)},
	{64, "semget", Emulate, nil},
	{65, "semop", Emulate, nil},
	{66, "semctl", Emulate, semctlWrites},
	{67, "shmdt", Execute, nil},
	{68, "msgget", Emulate, nil},
	{69, "msgsnd", Emulate, nil},
	{70, "msgrcv", Emulate, msgrcvWrites},
	{71, "msgctl", Emulate, msgctlWrites},
	{72, "fcntl", Emulate, fcntlWrites},
	{73, "flock", Emulate, nil},
	{74, "fsync", Emulate, nil},
	{75, "fdatasync", Emulate, nil},
	{76, "truncate", Emulate, nil},
	{77, "ftruncate", Emulate, nil},
	{78, "getdents", Emulate, resultBytes(1)},
	{79, "getcwd", Emulate, resultBytes(0)}, // Result counts the NUL
	{80, "chdir", Emulate, nil},
	{81, "fchdir", Emulate, nil},
	{82, "rename", Emulate, nil},
	{83, "mkdir", Emulate, nil},
	{84, "rmdir", Emulate, nil},
	{85, "creat", Emulate, nil},
	{86, "link", Emulate, nil},
	{87, "unlink", Emulate, nil},
	{88, "symlink", Emulate, nil},
	{89, "readlink", Emulate, resultBytes(1)},
	{90, "chmod", Emulate, nil},
	{91, "fchmod", Emulate, nil},
	{92, "chown", Emulate, nil},
	{93, "fchown", Emulate, nil},
	{94, "lchown", Emulate, nil},
	{95, "umask", Emulate, nil},
	{96, "gettimeofday", Emulate, allOf(out(0, sizeofTimeval), out(1, sizeofTimezone))},
	{97, "getrlimit", Emulate, out(1, sizeofRlimit)},
	{98, "getrusage", Emulate, out(1, sizeofRusage)},
	{99, "sysinfo", Emulate, out(0, sizeofSysinfo)},
	{100, "times", Emulate, out(0, sizeofTms)},
	// A program tracing others cannot be recorded.
	{101, "ptrace", Unsupported, nil},
	{102, "getuid", Emulate, nil},
	{103, "syslog", Emulate, syslogWrites},
	{104, "getgid", Emulate, nil},
	{105, "setuid", Emulate, nil},
	{106, "setgid", Emulate, nil},
	{107, "geteuid", Emulate, nil},
	{108, "getegid", Emulate, nil},
	{109, "setpgid", Emulate, nil},
	{110, "getppid", Emulate, nil},
	{111, "getpgrp", Emulate, nil},
	{112, "setsid", Emulate, nil},
	{113, "setreuid", Emulate, nil},
	{114, "setregid", Emulate, nil},
	{115, "getgroups", Emulate, ifNonZero(0, resultItems(1, 4))},
	{116, "setgroups", Emulate, nil},
	{117, "setresuid", Emulate, nil},
	{118, "getresuid", Emulate, allOf(out(0, 4), out(1, 4), out(2, 4))},
	{119, "setresgid", Emulate, nil},
	{120, "getresgid", Emulate, allOf(out(0, 4), out(1, 4), out(2, 4))},
	{121, "getpgid", Emulate, nil},
	{122, "setfsuid", Emulate, nil},
	{123, "setfsgid", Emulate, nil},
	{124, "getsid", Emulate, nil},
	{125, "capget", Emulate, capgetWrites},
	{126, "capset", Emulate, nil},
	{127, "rt_sigpending", Emulate, argBytes(0, 1)},
	{128, "rt_sigtimedwait", Emulate, out(1, sizeofSiginfo)},
	{129, "rt_sigqueueinfo", Emulate, nil},
	// Emulated: it only waits; the replayer delivers the recorded signal,
	// whose frame carries the mask to restore.
	{130, "rt_sigsuspend", Emulate, nil},
	{131, "sigaltstack", Execute, out(1, sizeofStackT)},
	{132, "utime", Emulate, nil},
	{133, "mknod", Emulate, nil},
	{134, "uselib", Unsupported, nil}, // maps a library
	{135, "personality", Emulate, nil},
	{136, "ustat", Emulate, out(1, sizeofUstat)},
	{137, "statfs", Emulate, out(1, sizeofStatfs)},
	{138, "fstatfs", Emulate, out(1, sizeofStatfs)},
	{139, "sysfs", Emulate, sysfsWrites},
	{140, "getpriority", Emulate, nil},
	{141, "setpriority", Emulate, nil},
	{142, "sched_setparam", Emulate, nil},
	{143, "sched_getparam", Emulate, out(1, 4)},
	{144, "sched_setscheduler", Emulate, nil},
	{145, "sched_getscheduler", Emulate, nil},
	{146, "sched_get_priority_max", Emulate, nil},
	{147, "sched_get_priority_min", Emulate, nil},
	{148, "sched_rr_get_interval", Emulate, out(1, sizeofTimespec)},
	{149, "mlock", Emulate, nil},
	{150, "munlock", Emulate, nil},
	{151, "mlockall", Emulate, nil},
	{152, "munlockall", Emulate, nil},
	{153, "vhangup", Emulate, nil},
	{154, "modify_ldt", Unsupported, nil},
	{155, "pivot_root", Emulate, nil},
	{156, "_sysctl", Emulate, enosys},
	{157, "prctl", Emulate, prctlWrites},
	{158, "arch_prctl", Execute, archPrctlWrites},
	{159, "adjtimex", Emulate, out(0, sizeofTimex)},
	{160, "setrlimit", Emulate, nil},
	{161, "chroot", Emulate, nil},
	{162, "sync", Emulate, nil},
	{163, "acct", Emulate, nil},
	{164, "settimeofday", Emulate, nil},
	{165, "mount", Emulate, nil},
	{166, "umount2", Emulate, nil},
	{167, "swapon", Emulate, nil},
	{168, "swapoff", Emulate, nil},
	{169, "reboot", Emulate, nil},
	{170, "sethostname", Emulate, nil},
	{171, "setdomainname", Emulate, nil},
	{172, "iopl", Unsupported, nil},
	{173, "ioperm", Unsupported, nil},
	{174, "create_module", Emulate, enosys},
	{175, "init_module", Unsupported, nil},
	{176, "delete_module", Unsupported, nil},
	{177, "get_kernel_syms", Emulate, enosys},
	{178, "query_module", Emulate, enosys},
	{179, "quotactl", Emulate, quotactlWrites(0, 3)},
	{180, "nfsservctl", Emulate, enosys},
	{181, "getpmsg", Emulate, enosys},
	{182, "putpmsg", Emulate, enosys},
	{183, "afs_syscall", Emulate, enosys},
	{184, "tuxcall", Emulate, enosys},
	{185, "security", Emulate, enosys},
	{186, "gettid", Emulate, nil},
	{187, "readahead", Emulate, nil},
	{188, "setxattr", Emulate, nil},
	{189, "lsetxattr", Emulate, nil},
	{190, "fsetxattr", Emulate, nil},
	{191, "getxattr", Emulate, ifNonZero(3, resultBytes(2))},
	{192, "lgetxattr", Emulate, ifNonZero(3, resultBytes(2))},
	{193, "fgetxattr", Emulate, ifNonZero(3, resultBytes(2))},
	{194, "listxattr", Emulate, ifNonZero(2, resultBytes(1))},
	{195, "llistxattr", Emulate, ifNonZero(2, resultBytes(1))},
	{196, "flistxattr", Emulate, ifNonZero(2, resultBytes(1))},
	{197, "removexattr", Emulate, nil},
	{198, "lremovexattr", Emulate, nil},
	{199, "fremovexattr", Emulate, nil},
	{200, "tkill", Emulate, nil},
	{201, "time", Emulate, out(0, 8)},
	{202, "futex", Emulate, futexWrites},
	{203, "sched_setaffinity", Emulate, nil},
	{204, "sched_getaffinity", Emulate, resultBytes(2)},
	{205, "set_thread_area", Unsupported, nil},
	// AIO: io_setup maps a completion ring the program reads directly and
	// io_submit completes reads asynchronously; neither can be recorded.
	{206, "io_setup", Unsupported, nil},
	{207, "io_destroy", Emulate, nil},
	{208, "io_getevents", Emulate, resultItems(3, sizeofIoEvent)},
	{209, "io_submit", Unsupported, nil},
	{210, "io_cancel", Emulate, out(2, sizeofIoEvent)},
	{211, "get_thread_area", Unsupported, nil},
	{212, "lookup_dcookie", Emulate, resultBytes(1)},
	{213, "epoll_create", Emulate, nil},
	{214, "epoll_ctl_old", Emulate, enosys},
	{215, "epoll_wait_old", Emulate, enosys},
	{216, "remap_file_pages", Execute, nil},
	{217, "getdents64", Emulate, resultBytes(1)},
	// Emulated: the result is the tid; clear_child_tid only matters at
	// thread exit, which is executed.
	{218, "set_tid_address", Execute, nil}, // replay fixes up its result (the thread id)
	{219, "restart_syscall", Emulate, restartSyscallWrites},
	{220, "semtimedop", Emulate, nil},
	{221, "fadvise64", Emulate, nil},
	{222, "timer_create", Emulate, out(2, 4)}, // timer_t is an int
	{223, "timer_settime", Emulate, out(3, sizeofItimerspec)},
	{224, "timer_gettime", Emulate, out(1, sizeofItimerspec)},
	{225, "timer_getoverrun", Emulate, nil},
	{226, "timer_delete", Emulate, nil},
	{227, "clock_settime", Emulate, nil},
	{228, "clock_gettime", Emulate, out(1, sizeofTimespec)},
	{229, "clock_getres", Emulate, out(1, sizeofTimespec)},
	{230, "clock_nanosleep", Emulate, clockNanosleepWrites},
	{231, "exit_group", Execute, nil},
	{232, "epoll_wait", Emulate, resultItems(1, sizeofEpollEvent)},
	{233, "epoll_ctl", Emulate, nil},
	{234, "tgkill", Emulate, nil},
	{235, "utimes", Emulate, nil},
	{236, "vserver", Emulate, enosys},
	{237, "mbind", Emulate, nil}, // moves pages, keeps contents
	{238, "set_mempolicy", Emulate, nil},
	{239, "get_mempolicy", Emulate, getMempolicyWrites},
	{240, "mq_open", Emulate, nil},
	{241, "mq_unlink", Emulate, nil},
	{242, "mq_timedsend", Emulate, nil},
	{243, "mq_timedreceive", Emulate, allOf(resultBytes(1), out(3, 4))},
	{244, "mq_notify", Emulate, nil},
	{245, "mq_getsetattr", Emulate, out(2, sizeofMqAttr)},
	{246, "kexec_load", Unsupported, nil},
	{247, "waitid", Emulate, waitidWrites},
	{248, "add_key", Emulate, nil},
	{249, "request_key", Emulate, nil},
	{250, "keyctl", Emulate, keyctlWrites},
	{251, "ioprio_set", Emulate, nil},
	{252, "ioprio_get", Emulate, nil},
	{253, "inotify_init", Emulate, nil},
	{254, "inotify_add_watch", Emulate, nil},
	{255, "inotify_rm_watch", Emulate, nil},
	{256, "migrate_pages", Emulate, nil},
	{257, "openat", Emulate, nil},
	{258, "mkdirat", Emulate, nil},
	{259, "mknodat", Emulate, nil},
	{260, "fchownat", Emulate, nil},
	{261, "futimesat", Emulate, nil},
	{262, "newfstatat", Emulate, out(2, sizeofStat)},
	{263, "unlinkat", Emulate, nil},
	{264, "renameat", Emulate, nil},
	{265, "linkat", Emulate, nil},
	{266, "symlinkat", Emulate, nil},
	{267, "readlinkat", Emulate, resultBytes(2)},
	{268, "fchmodat", Emulate, nil},
	{269, "faccessat", Emulate, nil},
	{270, "pselect6", Emulate, allOf(fdSetsWrites, inOut(4, sizeofTimespec))},
	{271, "ppoll", Emulate, allOf(pollFdsWrites, inOut(2, sizeofTimespec))},
	{272, "unshare", Emulate, nil},
	{273, "set_robust_list", Emulate, nil},
	{274, "get_robust_list", Emulate, allOf(out(1, 8), out(2, 8))},
	{275, "splice", Emulate, allOf(out(1, 8), out(3, 8))},
	{276, "tee", Emulate, nil},
	{277, "sync_file_range", Emulate, nil},
	// Reads or writes the iovecs depending on the pipe end, unknown here.
	{278, "vmsplice", Unsupported, nil},
	{279, "move_pages", Emulate, argItems(4, 1, 4)},
	{280, "utimensat", Emulate, nil},
	{281, "epoll_pwait", Emulate, resultItems(1, sizeofEpollEvent)},
	{282, "signalfd", Emulate, nil},
	{283, "timerfd_create", Emulate, nil},
	{284, "eventfd", Emulate, nil},
	{285, "fallocate", Emulate, nil},
	{286, "timerfd_settime", Emulate, out(3, sizeofItimerspec)},
	{287, "timerfd_gettime", Emulate, out(1, sizeofItimerspec)},
	{288, "accept4", Emulate, sockaddr(1, 2)},
	{289, "signalfd4", Emulate, nil},
	{290, "eventfd2", Emulate, nil},
	{291, "epoll_create1", Emulate, nil},
	{292, "dup3", Emulate, nil},
	{293, "pipe2", Emulate, out(0, 8)},
	{294, "inotify_init1", Emulate, nil},
	{295, "preadv", Emulate, iovecs(1, 2)},
	{296, "pwritev", Emulate, nil},
	{297, "rt_tgsigqueueinfo", Emulate, nil},
	{298, "perf_event_open", Unsupported, nil},
	{299, "recvmmsg", Emulate, recvmmsgWrites},
	{300, "fanotify_init", Emulate, nil},
	{301, "fanotify_mark", Emulate, nil},
	{302, "prlimit64", Emulate, out(3, sizeofRlimit)},
	{303, "name_to_handle_at", Emulate, nameToHandleAtWrites},
	{304, "open_by_handle_at", Emulate, nil},
	{305, "clock_adjtime", Emulate, out(1, sizeofTimex)},
	{306, "syncfs", Emulate, nil},
	{307, "sendmmsg", Emulate, sendmmsgWrites},
	{308, "setns", Emulate, nil},
	{309, "getcpu", Emulate, allOf(out(0, 4), out(1, 4))},
	{310, "process_vm_readv", Emulate, iovecs(1, 2)},
	{311, "process_vm_writev", Unsupported, nil},
	{312, "kcmp", Emulate, nil},
	{313, "finit_module", Unsupported, nil},
	{314, "sched_setattr", Emulate, schedSetattrWrites},
	// Newer kernels zero-fill up to the caller's size, older ones copy
	// min(size, 56): the caller's size covers both.
	{315, "sched_getattr", Emulate, argBytes(1, 2)},
	{316, "renameat2", Emulate, nil},
	// A program's filter is installed rewritten by the recorder, whose
	// stops then make its denials (recorder/seccomp.go); replay does not
	// install it.
	{317, "seccomp", Emulate, seccompWrites},
	{318, "getrandom", Emulate, resultBytes(0)},
	{319, "memfd_create", Emulate, nil},
	{320, "kexec_file_load", Unsupported, nil},
	{321, "bpf", Unsupported, nil},
	{322, "execveat", Execute, nil},
	{323, "userfaultfd", Unsupported, nil},
	{324, "membarrier", Emulate, nil},
	{325, "mlock2", Emulate, nil},
	{326, "copy_file_range", Emulate, copyFileRangeWrites},
	{327, "preadv2", Emulate, iovecs(1, 2)},
	{328, "pwritev2", Emulate, nil},
	{329, "pkey_mprotect", Execute, nil},
	{330, "pkey_alloc", Execute, nil},
	{331, "pkey_free", Execute, nil},
	{332, "statx", Emulate, out(4, sizeofStatx)},
	{333, "io_pgetevents", Emulate, resultItems(3, sizeofIoEvent)},
	// The program copes with ENOSYS, and rseq areas are rewritten by the
	// kernel on every preemption.
	{334, "rseq", Disable, nil},
	{424, "pidfd_send_signal", Emulate, nil},
	// io_uring moves I/O out of syscalls.
	{425, "io_uring_setup", Unsupported, nil},
	{426, "io_uring_enter", Unsupported, nil},
	{427, "io_uring_register", Unsupported, nil},
	{428, "open_tree", Emulate, nil},
	{429, "move_mount", Emulate, nil},
	{430, "fsopen", Emulate, nil},
	{431, "fsconfig", Emulate, nil},
	{432, "fsmount", Emulate, nil},
	{433, "fspick", Emulate, nil},
	{434, "pidfd_open", Emulate, nil},
	{435, "clone3", Execute, clone3Writes},
	{436, "close_range", Emulate, nil},
	{437, "openat2", Emulate, nil},
	{438, "pidfd_getfd", Emulate, nil},
	{439, "faccessat2", Emulate, nil},
	// Any advice (MADV_DONTNEED too) is allowed on the caller itself, and
	// re-running it on another process at replay would be wrong.
	{440, "process_madvise", Unsupported, nil},
	{441, "epoll_pwait2", Emulate, resultItems(1, sizeofEpollEvent)},
	{442, "mount_setattr", Emulate, nil},
	{443, "quotactl_fd", Emulate, quotactlWrites(1, 3)},
	{444, "landlock_create_ruleset", Emulate, nil},
	{445, "landlock_add_rule", Emulate, nil},
	{446, "landlock_restrict_self", Emulate, nil},
	// Its fd is mapped to get memory hidden even from ptrace.
	{447, "memfd_secret", Unsupported, nil},
	{448, "process_mrelease", Emulate, nil},
	{449, "futex_waitv", Emulate, nil},
	{450, "set_mempolicy_home_node", Emulate, nil},
	// Newer than some installed headers; numbers as in golang.org/x/sys.
	{451, "cachestat", Emulate, out(2, sizeofCachestat)},
	{452, "fchmodat2", Emulate, nil},
	{453, "map_shadow_stack", Execute, nil},
	{454, "futex_wake", Emulate, nil},
	{455, "futex_wait", Emulate, nil},
	{456, "futex_requeue", Emulate, nil},
	{457, "statmount", Emulate, statmountWrites},
	{458, "listmount", Emulate, resultItems(1, 8)},
	// Writes a variable list of contexts, partly even on E2BIG.
	{459, "lsm_get_self_attr", Unsupported, nil},
	{460, "lsm_set_self_attr", Emulate, nil},
	{461, "lsm_list_modules", Emulate, lsmListModulesWrites},
	{462, "mseal", Execute, nil},
	{463, "setxattrat", Emulate, nil},
	{464, "getxattrat", Emulate, getxattratWrites},
	{465, "listxattrat", Emulate, ifNonZero(4, resultBytes(3))},
	{466, "removexattrat", Emulate, nil},
	{467, "open_tree_attr", Emulate, nil},
	{468, "file_getattr", Emulate, argBytes(2, 3)},
	{469, "file_setattr", Emulate, nil},
}

// clock_nanosleep stores the remaining time only for relative sleeps.
func clockNanosleepWrites(c *Call) ([]Range, error) {
	const timerAbstime = 1
	if c.Args[1]&timerAbstime != 0 {
		return nil, nil
	}
	return remOnInterrupt(3)(c)
}

// copy_file_range stores the advanced offsets when it copied something.
func copyFileRangeWrites(c *Call) ([]Range, error) {
	if c.Result <= 0 {
		return nil, nil
	}
	return append(span(c.Args[1], 8), span(c.Args[3], 8)...), nil
}

var (
	syscallsByNr   []*Syscall
	syscallsByName = make(map[string]*Syscall, len(syscallTable))
)

func init() {
	var top uint64
	for i := range syscallTable {
		top = max(top, syscallTable[i].Nr)
	}
	syscallsByNr = make([]*Syscall, top+1)
	for i := range syscallTable {
		sc := &syscallTable[i]
		syscallsByNr[sc.Nr] = sc
		syscallsByName[sc.Name] = sc
	}
}

// Calls rewind's syscall buffer library (package preload) makes: numbers
// no kernel knows, recorded and emulated like syscalls.
const (
	SysRewindRegister = 0x525701 // register a thread's buffer slot
	SysRewindDiverged = 0x525702 // replay left the recording
)

var ownCalls = map[uint64]*Syscall{
	SysRewindRegister: {SysRewindRegister, "rewind_register", Emulate, nil},
	SysRewindDiverged: {SysRewindDiverged, "rewind_diverged", Emulate, nil},
}

// LookupSyscall returns the syscall numbered nr, or nil if unknown.
func LookupSyscall(nr uint64) *Syscall {
	if nr >= uint64(len(syscallsByNr)) {
		return ownCalls[nr]
	}
	return syscallsByNr[nr]
}

// SyscallName returns the name of syscall nr, or "syscall_<nr>".
func SyscallName(nr uint64) string {
	if sc := LookupSyscall(nr); sc != nil {
		return sc.Name
	}
	return fmt.Sprintf("syscall_%d", nr)
}

// SyscallNumber returns the number of the syscall named name.
func SyscallNumber(name string) (uint64, bool) {
	if sc, ok := syscallsByName[name]; ok {
		return sc.Nr, true
	}
	return 0, false
}
