// The layout rewind and librewind_preload share; preload/layout.go has
// the same numbers for Go (TestLayout checks they agree).
#define RW_REGION 0x6f7e00000000UL      // the code page, then the buffer slots
#define RW_UNTRACED_OFF 0                // syscall; ret: lets calls through
#define RW_TRACED_OFF 8                  // syscall; ret: stops like any other
#define RW_EXEC_OFF 16                   // syscall; ret: replay runs the calls made there
#define RW_TRAP_OFF 24                   // int3: where rewind's run of the static variant's set-up ends
#define RW_PATCH_OFF 32                  // the static variant's rw_patch, for librewind_preload (0: none)
#define RW_CALL_OFF 40                   // int3; ret: the static variant's set-up calls rewind there
#define RW_SLOTS (RW_REGION + 0x100000)  // one buffer slot per thread
#define RW_SLOT_SIZE 0x120000
#define RW_MAX_SLOTS 1024
#define RW_STACK_TOP 0x11000             // rw_handle's stack: below this offset
#define RW_RECORDS_OFF 0x11000           // the records
#define RW_FILE_MAPS_OFF 32              // recording: file mmaps among the records (u64)
#define RW_KNOWN_OFF 0x1000              // recording: files rewind has copied (u64 count, then entries)
#define RW_KNOWN_MAX 256                 // entries: st_dev, st_ino, st_size, st_mtime, st_mtime_nsec, flags
#define RW_KNOWN_PATCHED 1               // entry flag: its executable mappings stop (rewind patches libc's code)
#define RW_FILE_MAP_DATA 128             // a buffered file mmap's data: its file's key, then rewind's name of the copy
#define RW_SYS_REGISTER 0x525701         // register a slot: (slot, size, text start, text end)
#define RW_SYS_DIVERGED 0x525702         // replay left the recording: (nr, recorded nr, result, recorded result)
#define RW_ABORT 0x5257                  // result rewind gives an interrupted untraced call (negated)
#define RW_MARKER_TRACED 0xffffffffu     // record: the call went traced
#define RW_MODE_RECORD 1
#define RW_MODE_REPLAY 2
#define RW_MODE_FREE 3                   // written by rewind when the slot's thread ended
// The static variant (librewind_static.so), which rewind loads itself into
// every program it starts, finds a thread's slot through %gs: %gs points
// at a thread block, the slot itself or one without a slot.
#define RW_STATIC_BASE (RW_REGION + 0x10000) // where rewind loads it
#define RW_BLOCK_SLOT 64                     // a thread block: its slot (0: none yet)
#define RW_BLOCK_STACK 72                    // and the top of rw_handle's stack (0: none yet)
// The flags rewind passes the static variant's set-up in r15, and what it
// returns there.
#define RW_PROGRAM 1                         // patch every generic syscall site (a static program)
#define RW_TRAP_TSC 2                        // make rdtsc and rdtscp fault (PR_SET_TSC)
#define RW_TRAP_CPUID 4                      // make CPUID fault (ARCH_SET_CPUID)
#define RW_TRAPS_SET 8                       // returned: the traps asked for are set
#define RW_V10 16                            // a trace of format 10 on: failed execve, setresuid/gid, arch_prctl(ARCH_SET_FS) and rt_sigprocmask that only blocks go through the buffer, and the dynamic linker's rdtsc and the syscalls whose number is set a few instructions before are patched
#define RW_REC_RDTSC 0x525710                // a record of an rdtsc the dynamic linker made, patched: its value in ret
