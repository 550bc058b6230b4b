// librewind_static: rewind's in-process syscall buffer (see doc.go).
//
// rewind loads it into every process it records or replays, just after
// exec, and runs its set-up there (rw_static_start): it fills a code page
// at a fixed address (one "untraced" syscall instruction that rewind's
// seccomp filter lets through without a ptrace stop, one traced), takes
// this thread's buffer slot, installs the filter and patches the syscall
// instructions of the code the exec starts in (the dynamic linker, or a
// static program) with jumps to stubs that call rw_handle; rewind has it
// patch libc's as soon as the dynamic linker maps it (rw_static_patch).
// rw_handle runs common calls at the untraced site and appends their
// results to the buffer; rewind copies the buffer into the trace at the
// thread's next stop. When replaying, rw_handle takes the results from the
// buffer, which rewind has filled, instead.
//
// Built freestanding: no libc calls (it sits under libc), no vector
// registers (the stubs do not save them), no red zone (rw_handle runs on
// its own stack in the buffer, which rewind leaves out of memory digests).
#include <stdint.h>
#include <stddef.h>
#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <elf.h>

#include "layout.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_FIXED_NOREPLACE 0x100000
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_SECCOMP 21
#define EEXIST 17
#define EINTR 4
#define ENOSYS 38
#define ENOENT 2
#define ENOTDIR 20

#define HIDDEN __attribute__((visibility("hidden")))

struct hdr {
	uint32_t mode;      // RW_MODE_RECORD or RW_MODE_REPLAY, written by rewind
	uint32_t want_stop; // recording: rewind asks for a traced call next
	uint64_t used;      // bytes of records: committed (record), loaded (replay)
	uint64_t cursor;    // replay: bytes consumed
	uint64_t cap;       // bytes available for records
	// Recording: file mmaps among the records (RW_FILE_MAPS_OFF), whose
	// data rewind rewrites; it need not read the records when none.
	uint64_t file_maps;
};

struct rec {
	uint32_t nr;  // syscall number, or RW_MARKER_TRACED
	uint32_t len; // bytes of output data that follow
	int64_t ret;
};

_Static_assert(offsetof(struct hdr, file_maps) == RW_FILE_MAPS_OFF, "layout.h's RW_FILE_MAPS_OFF");

static int rw_next_slot;
// rw_v10: the recording is of format 10 on (RW_V10): replay of an older
// one must buffer and patch no more than its recorder's library did.
static int rw_v10;
static uintptr_t rw_text_start, rw_text_end;
// For a thread that has no slot: rw_handle then only says "traced".
static char rw_spare_stack[4096] __attribute__((aligned(16)));

HIDDEN void *memcpy(void *d, const void *s, size_t n) {
	void *r = d;
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

HIDDEN void *memset(void *d, int c, size_t n) {
	void *r = d;
	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

// A syscall at a site of the code page: RW_UNTRACED runs without a ptrace
// stop, RW_TRACED stops like any other.
static long page_call(uintptr_t site, long n, long a, long b, long c, long d, long e, long f) {
	register long r10 asm("r10") = d;
	register long r8 asm("r8") = e;
	register long r9 asm("r9") = f;
	long ret;
	asm volatile("call *%[fn]"
		     : "=a"(ret)
		     : [fn] "r"(site), "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

#define traced(n, a, b, c, d, e, f) page_call(RW_REGION + RW_TRACED_OFF, n, a, b, c, d, e, f)

// rw_quiet: the library's set-up runs under rewind's control, not as part
// of the program (its start after exec, a patch rewind asks for):
// its calls run untraced, replay runs it alike, and it registers a slot
// at the code page's call site, an int3 rewind answers. Otherwise they
// are the program's calls, traced and recorded.
static int rw_quiet;

static long setup(long n, long a, long b, long c, long d, long e, long f) {
	return page_call(RW_REGION + (rw_quiet ? RW_UNTRACED_OFF : RW_TRACED_OFF), n, a, b, c, d, e, f);
}

// ---- this thread's slot ----

// The static variant runs where the program owns %fs (a Go runtime, a
// static libc) and there is no TLS of ours: %gs points at this thread's
// block (layout.h). rewind points a new thread's %gs at rw_noslot; a
// thread that found no slot points it at rw_spare.
struct block {
	char hdr[RW_BLOCK_SLOT];
	char *slot;
	char *stack;
};
HIDDEN struct block rw_noslot, rw_spare;

static char *this_slot(void) {
	char *s;
	asm volatile("mov %%gs:%c1, %0" : "=r"(s) : "i"(RW_BLOCK_SLOT));
	return s;
}

static void set_block(struct block *b) { setup(__NR_arch_prctl, 0x1001 /* ARCH_SET_GS */, (long)b, 0, 0, 0, 0); }

static void set_slot(char *slot) {
	struct block *b = (struct block *)slot;
	b->slot = slot;
	b->stack = slot + RW_STACK_TOP;
	set_block(b);
}

static void set_spare(void) {
	rw_spare.stack = rw_spare_stack + sizeof rw_spare_stack;
	set_block(&rw_spare);
}

static int is_err(long r) { return (unsigned long)r > -4096UL; }

// ---- thread set-up ----

// rw_filtered: rewind's filter already applies to this process (it said
// so when the first slot was registered).
static int rw_filtered;

// rw_ours marks the slots this process mapped.
static uint8_t rw_ours[RW_MAX_SLOTS];

// free_slot returns a slot whose thread ended (rewind marked it so, in
// recording and replay alike), or 0.
static uintptr_t free_slot(void) {
	for (int i = 0; i < rw_next_slot; i++) {
		uintptr_t a = RW_SLOTS + (uintptr_t)i * RW_SLOT_SIZE;
		if (rw_ours[i] && ((struct hdr *)a)->mode == RW_MODE_FREE)
			return a;
	}
	return 0;
}

// new_slot maps a slot not used before, or returns 0.
static uintptr_t new_slot(void) {
	while (rw_next_slot < RW_MAX_SLOTS) {
		int i = rw_next_slot++;
		uintptr_t a = RW_SLOTS + (uintptr_t)i * RW_SLOT_SIZE;
		long p = setup(__NR_mmap, a, RW_SLOT_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == -EEXIST)
			continue;
		if ((uintptr_t)p != a)
			return 0;
		rw_ours[i] = 1;
		return a;
	}
	return 0;
}

// Takes a buffer slot for the calling thread and registers it with rewind,
// which answers 1 when its seccomp filter already applies, else 0.
static int slot_init(void) {
	uintptr_t a = free_slot();
	if (!a && !(a = new_slot()))
		return 0;
	struct hdr *h = (struct hdr *)a;
	h->cap = RW_SLOT_SIZE - RW_RECORDS_OFF;
	long r = page_call(RW_REGION + (rw_quiet ? RW_CALL_OFF : RW_TRACED_OFF), RW_SYS_REGISTER, a, RW_SLOT_SIZE, rw_text_start, rw_text_end, 0, 0);
	if (r != 0 && r != 1) {
		rw_ours[(a - RW_SLOTS) / RW_SLOT_SIZE] = 0;
		setup(__NR_munmap, a, RW_SLOT_SIZE, 0, 0, 0, 0);
		return 0;
	}
	rw_filtered = r == 1;
	set_slot((char *)a);
	return 1;
}

// Called by the assembly entry the first time a thread makes a patched
// syscall, on that thread's own stack.
HIDDEN void rw_thread_start(void) {
	if (!slot_init())
		set_spare();
}

// ---- what each buffered call writes ----

struct span {
	uintptr_t addr;
	uint64_t len;
};

#define MAX_SPANS 64
#define MAX_OUT (RW_SLOT_SIZE / 2)

struct iov {
	uintptr_t base;
	uint64_t len;
};

#define MAP_FIXED 0x10
#define MAP_SHARED 0x01

// executes tells whether replay makes call nr again, at the code page's
// exec site, instead of taking its result from the buffer: calls whose
// effect on the kernel's state the replayed program needs (its signal
// actions, its address space). Their results must be the recorded ones.
// (preload.Executes has the same list.)
static int executes(long nr) {
	switch (nr) {
	case __NR_rt_sigaction:
	case __NR_mmap:
	case __NR_munmap:
	case __NR_mprotect:
	case __NR_madvise:
	case __NR_brk:
	case __NR_set_tid_address: // its result, the thread id, is the recorded one
	case __NR_arch_prctl:      // ARCH_SET_FS alone (classify)
	case __NR_rt_sigprocmask:  // blocking, or reading, alone (classify)
		return 1;
	}
	return 0;
}

// file_map tells whether call nr is a private mmap of a file, which may
// go through the buffer (if rewind has copied the file already, known).
static int file_map(long nr, const long *a) {
	return nr == __NR_mmap && !(a[3] & MAP_ANONYMOUS) && (a[3] & 0x0f) == MAP_PRIVATE;
}

struct timespec64 {
	int64_t sec, nsec;
};

// short_sleep tells whether the time at p is 200 µs at most.
static int short_sleep(long p) {
	const struct timespec64 *t = (const struct timespec64 *)p;
	return t && t->sec == 0 && t->nsec >= 0 && t->nsec <= 200000;
}

// classify tells whether call nr with args a may go through the buffer,
// and bounds the bytes it writes. It depends only on the arguments and
// memory the call does not change, so recording and replay agree. With a
// null a, it tells whether calls numbered nr can go through it at all.
static int classify(long nr, const long *a, uint64_t *bound) {
	static const long none[6];
	int any = a == 0;
	if (any)
		a = none;
#define ARGS_OK(c) (any || (c))
	*bound = 0;
	switch (nr) {
	case __NR_rt_sigaction:
		*bound = 32; // the old action: handler, flags, restorer, mask
		return ARGS_OK(a[3] == 8);
	case __NR_mmap: // replay maps it at the recorded address
		if (file_map(nr, a))
			*bound = RW_FILE_MAP_DATA;
		return ARGS_OK((a[3] & MAP_ANONYMOUS) || file_map(nr, a));
	case __NR_munmap:
	case __NR_mprotect:
	case __NR_madvise:
	case __NR_brk:
		return 1;
	case __NR_prlimit64:
		*bound = 16;
		return 1;
	case __NR_write:
	case __NR_pwrite64:
	case __NR_writev:
	case __NR_sendto:
		// rewind's stdout and stderr stay traced: replay echoes them.
		return ARGS_OK(a[0] != 1 && a[0] != 2);
	case __NR_read:
	case __NR_pread64:
	case __NR_getdents64:
	case __NR_readlink:
		*bound = (uint64_t)a[2];
		return 1;
	case __NR_readlinkat:
		*bound = (uint64_t)a[3];
		return 1;
	case __NR_getrandom:
	case __NR_getcwd:
		*bound = (uint64_t)a[1];
		return 1;
	case __NR_recvfrom:
		*bound = (uint64_t)a[2];
		return ARGS_OK(a[4] == 0); // without a source address
	case __NR_readv: {
		if (a[2] < 0 || a[2] > MAX_SPANS)
			return 0;
		const struct iov *v = (const struct iov *)a[1];
		for (long i = 0; i < a[2]; i++) {
			if (v[i].len > MAX_OUT)
				return 0;
			*bound += v[i].len;
		}
		return 1;
	}
	case __NR_fstat:
	case __NR_stat:
	case __NR_lstat:
	case __NR_newfstatat:
	case __NR_getrusage:
		*bound = 144;
		return 1;
	case __NR_statx:
		*bound = 256;
		return 1;
	case __NR_clock_gettime:
		*bound = 16;
		return 1;
	case __NR_gettimeofday:
		*bound = 24;
		return 1;
	case __NR_time:
	case __NR_pipe:
	case __NR_pipe2:
		*bound = 8;
		return 1;
	case __NR_copy_file_range:
	case __NR_sendfile:
		*bound = 16;
		return 1;
	case __NR_times:
		*bound = 32;
		return 1;
	case __NR_uname:
		*bound = 390;
		return 1;
	case __NR_sysinfo:
		*bound = 112;
		return 1;
	// Calls that wait (a timeout, a futex wait, a sleep) stay traced: the
	// recorder sees them block within 50 µs there, against a millisecond
	// of polling for a buffered call that blocks. A sleep of 200 µs at
	// most is over long before (the Go runtime's sysmon and spinning
	// threads sleep 3 to 20 µs, hundreds of times a second).
	case __NR_nanosleep:
		*bound = 16;
		return ARGS_OK(short_sleep(a[0]));
	case __NR_clock_nanosleep:
		*bound = 16;
		return ARGS_OK(a[1] == 0 && short_sleep(a[2])); // relative
	case __NR_poll:
		if (a[1] < 0 || a[1] > 4096 || a[2] != 0)
			return 0;
		*bound = (uint64_t)a[1] * 8;
		return 1;
	case __NR_epoll_wait:
	case __NR_epoll_pwait: // a mask changed for the call alone does not matter then
		if (!ARGS_OK(a[2] > 0 && a[2] <= 4096 && a[3] == 0))
			return 0;
		*bound = (uint64_t)a[2] * 12;
		return 1;
	case __NR_ioctl:
		*bound = 36;
		return ARGS_OK(a[1] == 0x5401 /* TCGETS */ || a[1] == 0x541b /* FIONREAD */ || a[1] == 0x40049409 /* FICLONE */);
	case __NR_getxattr:
	case __NR_lgetxattr:
	case __NR_fgetxattr:
		*bound = (uint64_t)a[3];
		return 1;
	case __NR_listxattr:
	case __NR_llistxattr:
	case __NR_flistxattr:
		*bound = (uint64_t)a[2];
		return 1;
	case __NR_fcntl:
		// F_GETFD, F_SETFD, F_GETFL, F_SETFL, and the record locks
		// (F_GETLK, F_OFD_GETLK write a struct flock).
		*bound = 32;
		return ARGS_OK((a[1] >= 1 && a[1] <= 7) || (a[1] >= 36 && a[1] <= 38));
	case __NR_futex:
		return ARGS_OK((a[1] & 0x7f) == 1 /* FUTEX_WAKE */ || (a[1] & 0x7f) == 10 /* FUTEX_WAKE_BITSET */);
	case __NR_epoll_ctl:
	case __NR_close:
	case __NR_lseek:
	case __NR_access:
	case __NR_faccessat:
	case __NR_faccessat2:
	case __NR_open:
	case __NR_openat:
	case __NR_getpid:
	case __NR_getppid:
	case __NR_gettid:
	case __NR_getuid:
	case __NR_geteuid:
	case __NR_getgid:
	case __NR_getegid:
	case __NR_fsync:
	case __NR_fdatasync:
	case __NR_ftruncate:
	case __NR_truncate:
	case __NR_unlink:
	case __NR_unlinkat:
	case __NR_mkdir:
	case __NR_mkdirat:
	case __NR_rmdir:
	case __NR_rename:
	case __NR_renameat:
	case __NR_renameat2:
	case __NR_chmod:
	case __NR_fchmod:
	case __NR_fchmodat:
	case __NR_chown:
	case __NR_fchown:
	case __NR_lchown:
	case __NR_fchownat:
	case __NR_utimensat:
	case __NR_symlink:
	case __NR_symlinkat:
	case __NR_link:
	case __NR_linkat:
	case __NR_umask:
	case __NR_fadvise64:
	case __NR_dup:
	case __NR_dup2:
	case __NR_dup3:
	case __NR_flock:
	case __NR_setxattr:
	case __NR_lsetxattr:
	case __NR_fsetxattr:
	case __NR_removexattr:
	case __NR_lremovexattr:
	case __NR_fremovexattr:
	// Thread and runtime set-up: every glibc thread registers its robust
	// list, also a forked child (the recorder reads it back with
	// get_robust_list when the thread ends; replay marks the futexes
	// itself); the Go runtime makes an epoll instance and an eventfd per
	// process.
	case __NR_set_robust_list:
	case __NR_set_tid_address:
	// A spawned child's (make's, through posix_spawn): replay returns the
	// recorded result, as it does for the call traced. Only an execve of
	// a file that is not there (exec_lookup).
	case __NR_setresuid:
	case __NR_setresgid:
	case __NR_execve:
		return rw_v10;
	// The dynamic linker's setting of the thread pointer: replay makes it.
	case __NR_arch_prctl:
		return rw_v10 && ARGS_OK(a[0] == 0x1002 /* ARCH_SET_FS */);
	// A mask that blocks more, or is only read (make, posix_spawn): no
	// signal the recorder holds becomes deliverable. One that unblocks
	// stays traced, so a held signal is delivered on its return.
	case __NR_rt_sigprocmask:
		*bound = 8;
		return rw_v10 && ARGS_OK((a[0] == 0 /* SIG_BLOCK */ || a[1] == 0) && a[3] == 8);
	case __NR_rseq: // refused, as rewind refuses it (disabled)
	case __NR_eventfd2:
	case __NR_epoll_create1:
		return 1;
	case __NR_sched_getaffinity: // the Go runtime's, once per process
		*bound = (uint64_t)a[1];
		return 1;
	}
	return 0;
}


// spans lists the memory call nr wrote, given its result; it is computed
// again at replay from the recorded result.
static int spans(long nr, const long *a, long ret, struct span *s) {
	int n = 0;
#define OUT(p, l)                                                                                          \
	do {                                                                                               \
		if ((p) != 0 && (l) > 0) {                                                                 \
			s[n].addr = (uintptr_t)(p);                                                        \
			s[n].len = (uint64_t)(l);                                                          \
			n++;                                                                               \
		}                                                                                          \
	} while (0)
	int ok = !is_err(ret);
	switch (nr) {
	case __NR_read:
	case __NR_pread64:
	case __NR_getdents64:
	case __NR_readlink:
	case __NR_recvfrom:
		if (ok)
			OUT(a[1], ret);
		break;
	case __NR_readlinkat:
	case __NR_sched_getaffinity:
		if (ok)
			OUT(a[2], ret);
		break;
	case __NR_getrandom:
	case __NR_getcwd:
		if (ok)
			OUT(a[0], ret);
		break;
	case __NR_readv: {
		const struct iov *v = (const struct iov *)a[1];
		uint64_t left = ok ? (uint64_t)ret : 0;
		for (long i = 0; i < a[2] && left > 0; i++) {
			uint64_t l = v[i].len < left ? v[i].len : left;
			OUT(v[i].base, l);
			left -= l;
		}
		break;
	}
	case __NR_fstat:
	case __NR_stat:
	case __NR_lstat:
	case __NR_getrusage:
		if (ret == 0)
			OUT(a[1], 144);
		break;
	case __NR_newfstatat:
		if (ret == 0)
			OUT(a[2], 144);
		break;
	case __NR_statx:
		if (ret == 0)
			OUT(a[4], 256);
		break;
	case __NR_clock_gettime:
		if (ret == 0)
			OUT(a[1], 16);
		break;
	case __NR_gettimeofday:
		if (ret == 0) {
			OUT(a[0], 16);
			OUT(a[1], 8);
		}
		break;
	case __NR_time:
		if (ok)
			OUT(a[0], 8);
		break;
	case __NR_pipe:
	case __NR_pipe2:
		if (ret == 0)
			OUT(a[0], 8);
		break;
	case __NR_copy_file_range:
		if (ok) {
			OUT(a[1], 8);
			OUT(a[3], 8);
		}
		break;
	case __NR_sendfile:
		if (ok)
			OUT(a[2], 8);
		break;
	case __NR_times:
		if (ok)
			OUT(a[0], 32);
		break;
	case __NR_uname:
		if (ret == 0)
			OUT(a[0], 390);
		break;
	case __NR_sysinfo:
		if (ret == 0)
			OUT(a[0], 112);
		break;
	case __NR_poll:
		if (ok)
			OUT(a[0], a[1] * 8);
		break;
	case __NR_epoll_wait:
	case __NR_epoll_pwait:
		if (ok)
			OUT(a[1], ret * 12);
		break;
	case __NR_ioctl:
		if (ret == 0 && a[1] != 0x40049409)
			OUT(a[2], a[1] == 0x5401 ? 36 : 4);
		break;
	case __NR_getxattr:
	case __NR_lgetxattr:
	case __NR_fgetxattr:
		if (ok && a[3] != 0)
			OUT(a[2], ret);
		break;
	case __NR_listxattr:
	case __NR_llistxattr:
	case __NR_flistxattr:
		if (ok && a[2] != 0)
			OUT(a[1], ret);
		break;
	case __NR_fcntl:
		if (ret == 0 && (a[1] == 5 || a[1] == 36))
			OUT(a[2], 32);
		break;
	case __NR_rt_sigaction:
		if (ret == 0)
			OUT(a[2], 32);
		break;
	case __NR_rt_sigprocmask:
		if (ret == 0)
			OUT(a[2], 8);
		break;
	case __NR_prlimit64:
		if (ret == 0)
			OUT(a[3], 16);
		break;
	case __NR_nanosleep:
		if (ret == -EINTR)
			OUT(a[1], 16);
		break;
	case __NR_clock_nanosleep:
		if (ret == -EINTR)
			OUT(a[3], 16);
		break;
	}
#undef OUT
	return n;
}

#undef ARGS_OK

// buffers_nr tells whether calls numbered nr can go through the buffer.
static int buffers_nr(long nr) {
	uint64_t bound;
	return classify(nr, 0, &bound);
}

// ---- the buffer ----

static uint64_t align8(uint64_t n) { return (n + 7) & ~7UL; }

// marker records that this call goes traced (the buffer is full, rewind
// asked for a stop, or the call blocked), so replay sends it there too.
static long marker(struct hdr *h) {
	struct rec *r = (struct rec *)((char *)h + RW_RECORDS_OFF + h->used);
	r->nr = RW_MARKER_TRACED;
	r->len = 0;
	r->ret = 0;
	asm volatile("" ::: "memory");
	h->used += sizeof *r;
	return 1;
}

// file_key reads the key of the file open at fd, as rewind keys the files
// it copies (st_dev, st_ino, st_size, st_mtime, st_mtime_nsec), into key.
static int file_key(long fd, uint64_t key[5]) {
	uint64_t st[18]; // struct stat
	if (page_call(RW_REGION + RW_UNTRACED_OFF, __NR_fstat, fd, (long)st, 0, 0, 0, 0) != 0)
		return 0;
	key[0] = st[0];
	key[1] = st[1];
	key[2] = st[6];
	key[3] = st[11];
	key[4] = st[12];
	return 1;
}

// known tells whether a mapping of the file of key with protection prot
// may go through the buffer: rewind has copied the file into the trace
// (it lists those files in the slot; a file missing there goes traced,
// and rewind copies it at that stop), and the mapping is not of code
// rewind patches (libc's, at its stop).
static int known(struct hdr *h, const uint64_t key[5], long prot) {
	const uint64_t *t = (const uint64_t *)((char *)h + RW_KNOWN_OFF);
	uint64_t n = t[0] < RW_KNOWN_MAX ? t[0] : RW_KNOWN_MAX;
	for (uint64_t i = 0; i < n; i++) {
		const uint64_t *e = t + 1 + i * 6;
		if (e[0] == key[0] && e[1] == key[1] && e[2] == key[2] && e[3] == key[3] && e[4] == key[4])
			return !((prot & PROT_EXEC) && (e[5] & RW_KNOWN_PATCHED));
	}
	return 0;
}

// diverged tells rewind that replay left the recording; it reports it.
static long diverged(long nr, long want, long ret, long want_ret) {
	traced(RW_SYS_DIVERGED, nr, want, ret, want_ret, 0, 0);
	return 1;
}

// exec_lookup handles an execve (arguments a) in the buffer when the
// kernel would fail it for want of its file: a command looked up along
// PATH is tried where it is not first (gcc's "as": three times in every
// compiler driver), and each failure would cost two stops. faccessat
// walks the path as execve does, so its ENOENT or ENOTDIR is execve's;
// any other outcome makes the call traced, as an execve that runs.
static long exec_lookup(struct hdr *h, const long *a, long *ret) {
	if (h->used + 2 * sizeof(struct rec) > h->cap)
		return marker(h);
	long r = page_call(RW_REGION + RW_UNTRACED_OFF, __NR_faccessat, -100 /* AT_FDCWD */, a[0], 0 /* F_OK */, 0, 0, 0);
	if (r != -ENOENT && r != -ENOTDIR)
		return marker(h);
	struct rec *rec = (struct rec *)((char *)h + RW_RECORDS_OFF + h->used);
	rec->nr = __NR_execve;
	rec->len = 0;
	rec->ret = r;
	asm volatile("" ::: "memory");
	h->used += sizeof *rec;
	*ret = r;
	return 0;
}

// rw_handle runs (or replays) the syscall in regs (rax, rdi, rsi, rdx,
// r10, r8, r9): it returns 0 with the result in regs[0], or 1 when the
// call must be made traced instead.
HIDDEN long rw_handle(long *regs) {
	struct hdr *h = (struct hdr *)this_slot();
	long nr = regs[0];
	const long *a = regs + 1;
	uint64_t bound;
	if (!h || !classify(nr, a, &bound) || bound > MAX_OUT)
		return 1;
	char *recs = (char *)h + RW_RECORDS_OFF;
	struct span s[MAX_SPANS];
	if (h->mode == RW_MODE_RECORD) {
		if (h->want_stop || h->used + 2 * sizeof(struct rec) + align8(bound) > h->cap)
			return marker(h);
		if (nr == __NR_execve)
			return exec_lookup(h, a, &regs[0]);
		uint64_t key[5];
		int fmap = file_map(nr, a);
		if (fmap && (!file_key(a[4], key) || !known(h, key, a[2])))
			return marker(h);
		long ret = nr == __NR_rseq ? -ENOSYS : page_call(RW_REGION + RW_UNTRACED_OFF, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (ret == -RW_ABORT)
			return marker(h); // rewind interrupted it: it blocked
		struct rec *r = (struct rec *)(recs + h->used);
		char *data = (char *)(r + 1);
		uint64_t len = 0;
		int n = spans(nr, a, ret, s);
		for (int i = 0; i < n; i++) {
			memcpy(data + len, (void *)s[i].addr, s[i].len);
			len += s[i].len;
		}
		if (fmap) { // rewind puts the name of the file's copy there in the trace
			memset(data, 0, RW_FILE_MAP_DATA);
			memcpy(data, key, sizeof key);
			len = RW_FILE_MAP_DATA;
		}
		r->nr = (uint32_t)nr;
		r->len = (uint32_t)len;
		r->ret = ret;
		asm volatile("" ::: "memory");
		h->used += sizeof *r + align8(len);
		h->file_maps += fmap;
		regs[0] = ret;
		return 0;
	}
	if (h->mode == RW_MODE_REPLAY) {
		if (h->cursor + sizeof(struct rec) > h->used)
			return diverged(nr, -1, 0, 0);
		struct rec *r = (struct rec *)(recs + h->cursor);
		if (r->nr == RW_MARKER_TRACED) {
			h->cursor += sizeof *r;
			return 1;
		}
		if (r->nr != (uint32_t)nr)
			return diverged(nr, r->nr, 0, 0);
		if (executes(nr) && !is_err(r->ret) && !(nr == __NR_rt_sigaction && a[1] == 0)) {
			long b[6] = {a[0], a[1], a[2], a[3], a[4], a[5]};
			if (nr == __NR_mmap && !(b[3] & MAP_FIXED)) {
				b[0] = r->ret; // where the recording got it
				b[3] |= MAP_FIXED_NOREPLACE;
			}
			long ret = page_call(RW_REGION + RW_EXEC_OFF, nr, b[0], b[1], b[2], b[3], b[4], b[5]);
			if (ret != r->ret && nr != __NR_set_tid_address)
				return diverged(nr, r->nr, ret, r->ret);
		}
		const char *data = (const char *)(r + 1);
		uint64_t len = 0;
		int n = spans(nr, a, r->ret, s);
		for (int i = 0; i < n; i++)
			len += s[i].len;
		if (file_map(nr, a))
			len = RW_FILE_MAP_DATA; // read by rewind at the exec site
		if (len != r->len)
			return diverged(nr, r->nr, 0, 0);
		for (uint64_t i = 0, at = 0; i < (uint64_t)n; at += s[i].len, i++)
			memcpy((void *)s[i].addr, data + at, s[i].len);
		h->cursor += sizeof *r + align8(len);
		regs[0] = r->ret;
		return 0;
	}
	return 1;
}

#define STR_(x) #x
#define STR(x) STR_(x)
#define LOAD_STACK "	mov %gs:" STR(RW_BLOCK_STACK) ", %rsp\n"

// rw_tsc gives the value of an rdtsc the dynamic linker makes (patched:
// write_tsc_stub) in *tsc: read with rdtsc let through for a moment and
// recorded, or replayed. It returns 0 when the stub must run rdtsc
// itself, which faults and rewind emulates (a full buffer, a stop
// rewind asked for, no slot); the record says so for replay.
HIDDEN int rw_tsc(uint64_t *tsc) {
	struct hdr *h = (struct hdr *)this_slot();
	if (!h)
		return 0;
	char *recs = (char *)h + RW_RECORDS_OFF;
	if (h->mode == RW_MODE_RECORD) {
		if (h->want_stop || h->used + 2 * sizeof(struct rec) > h->cap)
			return !marker(h);
		const long set_tsc = 26, enable = 1, fault = 2; // PR_SET_TSC, PR_TSC_*
		if (page_call(RW_REGION + RW_UNTRACED_OFF, __NR_prctl, set_tsc, enable, 0, 0, 0, 0) != 0)
			return !marker(h);
		uint32_t lo, hi;
		asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
		page_call(RW_REGION + RW_UNTRACED_OFF, __NR_prctl, set_tsc, fault, 0, 0, 0, 0);
		struct rec *r = (struct rec *)(recs + h->used);
		r->nr = RW_REC_RDTSC;
		r->len = 0;
		r->ret = (int64_t)((uint64_t)hi << 32 | lo);
		asm volatile("" ::: "memory");
		h->used += sizeof *r;
		*tsc = (uint64_t)r->ret;
		return 1;
	}
	if (h->mode == RW_MODE_REPLAY) {
		if (h->cursor + sizeof(struct rec) > h->used)
			return !diverged(RW_REC_RDTSC, -1, 0, 0);
		struct rec *r = (struct rec *)(recs + h->cursor);
		h->cursor += sizeof *r;
		if (r->nr == RW_MARKER_TRACED)
			return 0;
		if (r->nr != RW_REC_RDTSC || r->len != 0)
			return !diverged(RW_REC_RDTSC, r->nr, 0, 0);
		*tsc = (uint64_t)r->ret;
		return 1;
	}
	return 0;
}

// rw_return: every entry into the library from a stub leaves through
// here (rw_entry, rw_tsc_entry), once per call. Replay going back a step
// runs to the last time the program left the library before the point
// (a breakpoint here), not through every instruction since the last
// traced call.
asm(".text\n"
    ".globl rw_return\n"
    ".hidden rw_return\n"
    "rw_return:\n"
    "	jmp *%rcx\n");

// rw_tsc_entry: the rdtsc stubs enter here with rcx the address to return
// to; it returns with ZF set and the value in edx:eax when done (rw_tsc),
// clear when the stub must run rdtsc itself. Every other register is
// kept, as rdtsc keeps them.
asm(".text\n"
    ".hidden rw_tsc_entry\n"
    "rw_tsc_entry:\n"
    "	mov %rsp, %rax\n"
    LOAD_STACK
    "	test %rsp, %rsp\n"
    "	jz 2f\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	push %rsi\n"
    "	push %rdi\n"
    "	push %r8\n"
    "	push %r9\n"
    "	push %r10\n"
    "	push %r11\n"
    "	sub $16, %rsp\n"
    "	mov %rsp, %rdi\n"
    "	call rw_tsc\n"
    "	mov (%rsp), %rdx\n"
    "	add $16, %rsp\n"
    "	mov %eax, %edi\n"
    "	mov %edx, %eax\n"
    "	shr $32, %rdx\n"
    "	cmp $1, %edi\n"
    "	pop %r11\n"
    "	pop %r10\n"
    "	pop %r9\n"
    "	pop %r8\n"
    "	pop %rdi\n"
    "	pop %rsi\n"
    "	pop %rcx\n"
    "	pop %rsp\n"
    "	jmp rw_return\n"
    "2:	mov %rax, %rsp\n"
    "	xor %eax, %eax\n"
    "	inc %eax\n" // ZF clear
    "	jmp rw_return\n");

// ---- patching libc ----

// The assembly entry the stubs jump to, with rcx the address to return
// to; it returns with ZF set when the call is done (result in rax), clear
// when the stub must make it traced. Registers other than rax, rcx and
// r11 are kept, as the syscall instruction keeps them.
asm(".text\n"
    ".hidden rw_entry\n"
    "rw_entry:\n"
    "	mov %rsp, %r11\n"
    LOAD_STACK
    "	test %rsp, %rsp\n"
    "	jz 2f\n"
    "	push %r11\n"
    "	push %rcx\n"
    "	push %r9\n"
    "	push %r8\n"
    "	push %r10\n"
    "	push %rdx\n"
    "	push %rsi\n"
    "	push %rdi\n"
    "	push %rax\n"
    "	mov %rsp, %rdi\n"
    "	sub $8, %rsp\n"
    "	call rw_handle\n"
    "	add $8, %rsp\n"
    "	mov %rax, %r11\n"
    "	pop %rax\n"
    "	pop %rdi\n"
    "	pop %rsi\n"
    "	pop %rdx\n"
    "	pop %r10\n"
    "	pop %r8\n"
    "	pop %r9\n"
    "	pop %rcx\n"
    "	pop %rsp\n"
    "	test %r11, %r11\n"
    "	jmp rw_return\n"
    // The thread's first buffered call: set it up on its own stack, below
    // the red zone, then start again.
    "2:	mov %r11, %rsp\n"
    "	lea -128(%rsp), %rsp\n"
    "	and $-16, %rsp\n"
    "	push %r11\n"
    "	push %rcx\n"
    "	push %r9\n"
    "	push %r8\n"
    "	push %r10\n"
    "	push %rdx\n"
    "	push %rsi\n"
    "	push %rdi\n"
    "	push %rax\n"
    "	sub $8, %rsp\n"
    "	call rw_thread_start\n"
    "	add $8, %rsp\n"
    "	pop %rax\n"
    "	pop %rdi\n"
    "	pop %rsi\n"
    "	pop %rdx\n"
    "	pop %r10\n"
    "	pop %r8\n"
    "	pop %r9\n"
    "	pop %rcx\n"
    "	pop %r11\n"
    "	mov %r11, %rsp\n"
    "	jmp rw_entry\n");

HIDDEN void rw_entry(void);

// How glibc's syscall instructions are patched. Most follow a "mov
// $nr,%eax": that mov becomes a jump to a stub, which runs it and returns
// after the syscall; nothing jumps into a mov's immediate, so this is safe
// wherever it is. Others are followed by a compare of the result: the
// syscall and the compare become the jump, and the stub runs the compare
// (rr patches these the same way; no code jumps to that compare).
static const struct pattern {
	uint8_t pre; // 5 or 7: the mov $imm32,%eax (%rax) before the syscall is displaced
	uint8_t len; // bytes of post, the instruction after it that is displaced
	uint8_t post[6];
} patterns[] = {
	{5, 0, {0}},
	{7, 0, {0}}, // mov $imm32,%rax (Go's)
	{0, 6, {0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff}}, // cmp $-4096,%rax
	{0, 6, {0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff}}, // cmp $-4095,%rax
	{0, 5, {0x3d, 0x00, 0xf0, 0xff, 0xff}},       // cmp $-4096,%eax
};

#define STUB_SIZE 96

// insn_len returns the length of the instruction at p when it is one a
// stub may run in its place: no branch, and no operand but a register,
// memory (a rip-relative one, whose disp32 is at *rip, is moved with it)
// or an immediate. 0 for any other. Enough for the dynamic linker's code
// between a "mov $nr,%eax" and its syscall, and after its rdtsc.
static int insn_len(const uint8_t *p, int *rip) {
	const uint8_t *q = p;
	int o16 = 0, rexw = 0, imm = 0;
	*rip = -1;
	for (; *q == 0x66 || *q == 0xf2 || *q == 0xf3; q++)
		o16 |= *q == 0x66;
	if ((*q & 0xf0) == 0x40)
		rexw = *q++ & 8;
	uint8_t op = *q++;
	if (op >= 0xb8 && op <= 0xbf) // mov $imm,%reg
		return (int)(q - p) + (rexw ? 8 : o16 ? 2 : 4);
	if (op == 0x0f) {
		switch (*q++) {
		case 0x10: case 0x11: case 0x28: case 0x29: case 0x6c: case 0x6e: case 0x6f: case 0x7e: case 0x7f:
		case 0xd6: case 0xaf: case 0xb6: case 0xb7: case 0xbe: case 0xbf:
			break;
		default:
			return 0;
		}
	} else {
		switch (op) {
		case 0x01: case 0x03: case 0x09: case 0x0b: case 0x21: case 0x23: case 0x29: case 0x2b:
		case 0x31: case 0x33: case 0x39: case 0x3b: case 0x85: case 0x88: case 0x89: case 0x8a:
		case 0x8b: case 0x8d:
			break;
		case 0x80: case 0x83: case 0xc0: case 0xc1:
			imm = 1;
			break;
		case 0xc6:
			imm = 1;
			if ((*q >> 3) & 7) // mov alone
				return 0;
			break;
		case 0x81: case 0xc7:
			imm = o16 ? 2 : 4;
			if (op == 0xc7 && ((*q >> 3) & 7))
				return 0;
			break;
		default:
			return 0;
		}
	}
	uint8_t m = *q++;
	int mod = m >> 6, rm = m & 7;
	if (mod != 3) {
		if (rm == 4) {
			if (mod == 0 && (*q & 7) == 5)
				q += 4;
			q++;
		} else if (mod == 0 && rm == 5) {
			*rip = (int)(q - p);
			q += 4;
		}
		q += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	}
	return (int)(q - p) + imm;
}

static void put32(uint8_t *p, int32_t v) { memcpy(p, &v, 4); }

static int fits(intptr_t d) { return d >= INT32_MIN && d <= INT32_MAX; }

// relocate copies the n bytes of whole instructions (insn_len) at from to
// to, moving rip-relative operands; it returns the end at to, or 0.
static uint8_t *relocate(uint8_t *to, const uint8_t *from, int n) {
	for (int done = 0; done < n;) {
		int rip, len = insn_len(from + done, &rip);
		if (len == 0 || done + len > n)
			return 0;
		memcpy(to + done, from + done, len);
		if (rip >= 0) {
			int32_t d;
			memcpy(&d, from + done + rip, 4);
			intptr_t moved = (intptr_t)d + (intptr_t)(from - to);
			if (!fits(moved))
				return 0;
			put32(to + done + rip, (int32_t)moved);
		}
		done += len;
	}
	return to + n;
}

// insns_span tells whether the n bytes at p are whole instructions a stub
// may run (relocate).
static int insns_span(const uint8_t *p, int n) {
	int done = 0, rip;
	while (done < n) {
		int len = insn_len(p + done, &rip);
		if (len == 0)
			return 0;
		done += len;
	}
	return done == n;
}

// distant_mov returns how many bytes before the syscall at p the "mov
// $nr,%eax" naming it is, when instructions a stub may run come between
// (the dynamic linker's set_robust_list and arch_prctl); 0 if none.
static int distant_mov(const uint8_t *p, const uint8_t *start) {
	for (int k = 8; k <= 24 && p - k >= start; k++)
		if (p[-k] == 0xb8 && buffers_nr(*(const int32_t *)(p - k + 1)) && insns_span(p - k + 5, k - 5))
			return k;
	return 0;
}

// rdtsc_span returns how many bytes from the rdtsc at p on a jump to a
// stub displaces (it and whole instructions after it, 5 bytes at least),
// when it is the dynamic linker's: "shl $32,%rdx" among the next six
// instructions, all of kinds insn_len knows (so a 0f 31 inside another
// instruction is not taken for one); 0 if not.
static int rdtsc_span(const uint8_t *p, const uint8_t *end) {
	static const uint8_t shl[] = {0x48, 0xc1, 0xe2, 0x20};
	if (p[0] != 0x0f || p[1] != 0x31 || end - p < 40)
		return 0;
	int n = 2, span = 0, rip, seen = 0;
	for (int i = 0; i < 6 && !seen; i++) {
		int len = insn_len(p + n, &rip);
		if (len == 0)
			break;
		seen |= len == 4 && p[n] == shl[0] && p[n + 1] == shl[1] && p[n + 2] == shl[2] && p[n + 3] == shl[3];
		n += len;
		if (span == 0 && n >= 5)
			span = n;
	}
	return seen ? span : 0;
}

// likely_buffered guesses, for a syscall the instruction before which
// does not name it, whether it is one the buffer takes: "xor %eax,%eax"
// (read) just before it, or a "mov $nr,%eax" a few bytes earlier. A wrong
// guess costs speed or a stop inside a stub, never correctness: the stub
// decides by the actual number.
static int likely_buffered(const uint8_t *p, const uint8_t *start) {
	if (p - 2 >= start && p[-2] == 0x31 && p[-1] == 0xc0)
		return 1;
	for (int k = 5; k <= 13 && p - k >= start; k++)
		if (p[-k] == 0xb8 && buffers_nr(*(const int32_t *)(p - k + 1)))
			return 1;
	return 0;
}

// site_at returns the pattern of the syscall instruction at p, if it is
// one to patch. After a mov the number is known: calls that never go
// through the buffer are left alone, so they stop where libc makes them,
// which debuggers show.
static const struct pattern *site_at(const uint8_t *p, const uint8_t *start, int generic) {
	if (p[0] != 0x0f || p[1] != 0x05)
		return 0;
	if (p - 5 >= start && p[-5] == 0xb8)
		return buffers_nr(*(const int32_t *)(p - 4)) ? &patterns[0] : 0;
	if (p - 7 >= start && p[-7] == 0x48 && p[-6] == 0xc7 && p[-5] == 0xc0)
		return buffers_nr(*(const int32_t *)(p - 4)) ? &patterns[1] : 0;
	// In libc, calls that rarely go through the buffer stay where libc
	// makes them. A static program's generic sites (Go's Syscall6) make
	// most of its calls: with generic set, those are patched whatever
	// comes before them.
	if (!generic && !likely_buffered(p, start))
		return 0;
	for (unsigned i = 2; i < sizeof patterns / sizeof patterns[0]; i++) {
		const struct pattern *pt = &patterns[i];
		int ok = 1;
		for (int j = 0; j < pt->len && ok; j++)
			ok = p[2 + j] == pt->post[j];
		if (ok)
			return pt;
	}
	return 0;
}

// put_abs_jmp writes "jmp *0(%rip)" with its 8-byte target.
static uint8_t *put_abs_jmp(uint8_t *p, uintptr_t to) {
	static const uint8_t jmp_abs[] = {0xff, 0x25, 0, 0, 0, 0};
	memcpy(p, jmp_abs, sizeof jmp_abs);
	memcpy(p + sizeof jmp_abs, &to, 8);
	return p + sizeof jmp_abs + 8;
}

static uint8_t *put_jmp(uint8_t *p, const uint8_t *to, int *ok) {
	intptr_t d = (intptr_t)to - (intptr_t)(p + 5);
	*ok &= fits(d);
	*p++ = 0xe9;
	put32(p, (int32_t)d);
	return p + 4;
}

// write_stub writes the stub for the syscall at sc with pattern pt, the
// mov naming it pre bytes before it (pt->pre, or more with instructions
// between: distant_mov): it runs the displaced instructions, enters
// rw_entry, and then either goes on after the syscall or makes the call
// traced. With the mov displaced, the traced call is libc's own syscall
// instruction, so a thread stopped in it is where debuggers expect; else
// the stub has its own, and runs the displaced compare after it.
static int write_stub(uint8_t *stub, uint8_t *sc, const struct pattern *pt, int pre) {
	uint8_t *p = relocate(stub, sc - pre, pre);
	int ok = p != 0;
	if (!ok)
		return 0;
	static const uint8_t lea_rcx[] = {0x48, 0x8d, 0x0d, 14, 0, 0, 0}; // lea 14(%rip),%rcx
	memcpy(p, lea_rcx, sizeof lea_rcx);
	p += sizeof lea_rcx;
	p = put_abs_jmp(p, (uintptr_t)rw_entry);
	if (pre) {
		*p++ = 0x74; // jz: done
		*p++ = 0x05;
		p = put_jmp(p, sc, &ok); // traced: libc's syscall
		put_jmp(p, sc + 2, &ok);
		return ok;
	}
	*p++ = 0x74; // jz over the syscall
	*p++ = 0x02;
	*p++ = 0x0f; // syscall (traced)
	*p++ = 0x05;
	memcpy(p, pt->post, pt->len);
	p += pt->len;
	put_jmp(p, sc + 2 + pt->len, &ok);
	return ok;
}

HIDDEN void rw_tsc_entry(void);

// write_tsc_stub writes the stub for the rdtsc at at, whose jump displaces
// span bytes: it asks rw_tsc_entry for the value (recorded, or replayed),
// keeping the status flags (lahf/seto, then add/sahf: pushf and popf
// would keep a debugger's single-step flag) and every register but rax
// and rdx, as rdtsc does; when that says no, it runs rdtsc itself, which
// faults and rewind emulates (outside the library, so the buffer is
// written before it). Then it runs the instructions displaced after the
// rdtsc and goes on.
static int write_tsc_stub(uint8_t *stub, uint8_t *at, int span) {
	static const uint8_t enter[] = {
		0x48, 0x8d, 0x64, 0x24, 0x80, // lea -128(%rsp),%rsp: past the red zone
		0x51,                         // push %rcx
		0x9f,                         // lahf: SF ZF AF PF CF in ah
		0x0f, 0x90, 0xc0,             // seto %al
		0x50,                         // push %rax
		0x48, 0x8d, 0x0d, 14, 0, 0, 0, // lea 14(%rip),%rcx: back
	};
	static const uint8_t back[] = {
		0x74, 0x11,                         // jz: done
		0x58,                               // pop %rax: the flags
		0x04, 0x7f,                         // add $0x7f,%al: OF
		0x9e,                               // sahf
		0x59,                               // pop %rcx
		0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0, // lea 128(%rsp),%rsp
		0x0f, 0x31,                         // rdtsc: traced
		0xeb, 0x11,                         // jmp: after
		0x48, 0x87, 0x04, 0x24,             // done: xchg %rax,(%rsp)
		0x04, 0x7f,                         // add $0x7f,%al
		0x9e,                               // sahf
		0x58,                               // pop %rax: the value's low half
		0x59,                               // pop %rcx
		0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0, // lea 128(%rsp),%rsp
	};
	uint8_t *p = stub;
	int ok = 1;
	memcpy(p, enter, sizeof enter);
	p += sizeof enter;
	p = put_abs_jmp(p, (uintptr_t)rw_tsc_entry);
	memcpy(p, back, sizeof back);
	p += sizeof back;
	p = relocate(p, at + 2, span - 2);
	if (!p)
		return 0;
	put_jmp(p, at + span, &ok);
	return ok;
}

struct range {
	uintptr_t start, end;
};

// text returns the executable segment of the object loaded at base.
static struct range text(uintptr_t base) {
	struct range r = {0, 0};
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
			r.start = (base + ph[i].p_vaddr) & ~4095UL;
			r.end = (base + ph[i].p_vaddr + ph[i].p_memsz + 4095) & ~4095UL;
		}
	}
	return r;
}

// find_syscall returns the first syscall instruction (0f 05) from p on
// with 6 bytes after it before end, or 0. It skips 8 bytes at a time
// where none of them is a 05: scanning libc byte by byte took most of a
// process's start-up time under rewind (2 ms a pass here).
static uint8_t *find_syscall(uint8_t *p, uint8_t *end) {
	typedef uint64_t __attribute__((may_alias, aligned(1))) word;
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	for (; p + 17 <= end; p += 8) {
		uint64_t v = *(const word *)(p + 1) ^ 0x0505050505050505ULL; // the second bytes of p..p+7
		if (((v - ones) & ~v & highs) == 0)
			continue;
		for (int i = 0; i < 8; i++)
			if (p[i] == 0x0f && p[i + 1] == 0x05)
				return p + i;
	}
	for (; p + 8 <= end; p++)
		if (p[0] == 0x0f && p[1] == 0x05)
			return p;
	return 0;
}

#define MAX_SITES 2048

// A site to patch: the jump goes at at, displacing the bytes to end.
struct site {
	uint8_t *at, *end;
	uint8_t *sc;                 // the syscall (0: an rdtsc at at)
	const struct pattern *pt;    // the syscall's pattern
	int pre;                     // bytes from the mov to the syscall
};

// find_rdtsc returns the first of the dynamic linker's rdtsc (rdtsc_span)
// from p on, before end, or 0, with its span.
static uint8_t *find_rdtsc(uint8_t *p, uint8_t *end, int *span) {
	for (; p + 40 <= end; p++)
		if (p[0] == 0x0f && p[1] == 0x31 && (*span = rdtsc_span(p, end)))
			return p;
	return 0;
}

// patch replaces the syscall sites of text (libc's, a static program's or
// the dynamic linker's) with jumps to stubs placed within reach of a
// 32-bit jump. In the dynamic linker (ldso), syscalls whose mov comes a
// few instructions before and its rdtsc are patched too.
static void patch(struct range text, int generic, int ldso) {
	static struct site found[MAX_SITES];
	uint8_t *start = (uint8_t *)text.start, *end = (uint8_t *)text.end;
	int sites = 0;
	for (uint8_t *p = start; sites < MAX_SITES && (p = find_syscall(p, end)); p += 2) {
		const struct pattern *pt = site_at(p, start, generic);
		int pre = pt ? pt->pre : ldso ? distant_mov(p, start) : 0;
		if (pt || pre) {
			pt = pt ? pt : &patterns[0];
			found[sites++] = (struct site){p - pre, pre ? p : p + 2 + pt->len, p, pt, pre};
		}
	}
	int span;
	for (uint8_t *p = start; ldso && sites < MAX_SITES && (p = find_rdtsc(p, end, &span)); p += span) {
		int i = sites++; // in order of address
		for (; i > 0 && found[i - 1].at > p; i--)
			found[i] = found[i - 1];
		found[i] = (struct site){p, p + span, 0, 0, 0};
	}
	if (sites == 0)
		return;
	uint64_t size = ((uint64_t)sites * STUB_SIZE + 4095) & ~4095UL;
	uintptr_t stubs = 0;
	// Below the text, within a 32-bit jump (a static program's text may
	// start low: at 4 MiB for Go's).
	uintptr_t lowest = text.start > (1UL << 30) ? text.start - (1UL << 30) : 1 << 20;
	for (uintptr_t hint = (text.start - size - (1 << 20)) & ~4095UL; text.start > size + (2 << 20) && hint > lowest; hint -= 1 << 20) {
		long p = setup(__NR_mmap, hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if ((uintptr_t)p == hint) {
			stubs = hint;
			break;
		}
	}
	if (!stubs)
		return;
	uintptr_t text_len = text.end - text.start;
	if (setup(__NR_mprotect, text.start, text_len, PROT_READ | PROT_WRITE | PROT_EXEC, 0, 0, 0) != 0)
		return;
	uint8_t *stub = (uint8_t *)stubs, *patched = start;
	for (int i = 0; i < sites; i++) {
		struct site *st = &found[i];
		intptr_t to = (intptr_t)stub - (intptr_t)(st->at + 5);
		if (st->at < patched || !fits(to) ||
		    !(st->sc ? write_stub(stub, st->sc, st->pt, st->pre) : write_tsc_stub(stub, st->at, (int)(st->end - st->at))))
			continue;
		st->at[0] = 0xe9;
		put32(st->at + 1, (int32_t)to);
		for (uint8_t *q = st->at + 5; q < st->end; q++)
			*q = 0xcc; // never run: the stub returns past them
		stub += STUB_SIZE;
		patched = st->end;
	}
	setup(__NR_mprotect, text.start, text_len, PROT_READ | PROT_EXEC, 0, 0, 0);
	setup(__NR_mprotect, stubs, size, PROT_READ | PROT_EXEC, 0, 0, 0);
}

// ---- start-up ----

static void rw_patch(uintptr_t start, uintptr_t end, int generic);

// The code page: the untraced site, the traced one, the exec site, the
// trap, rw_patch's address (for the librewind_preload of traces up to
// format 6, which had it patch libc) and the call site.
static void write_code_page(uint8_t *page) {
	static const uint8_t site[] = {0x0f, 0x05, 0xc3}; // syscall; ret
	memcpy(page + RW_UNTRACED_OFF, site, sizeof site);
	memcpy(page + RW_TRACED_OFF, site, sizeof site);
	memcpy(page + RW_EXEC_OFF, site, sizeof site);
	page[RW_TRAP_OFF] = 0xcc;
	uintptr_t fn = (uintptr_t)rw_patch;
	memcpy(page + RW_PATCH_OFF, &fn, sizeof fn);
	page[RW_CALL_OFF] = 0xcc; // int3; ret
	page[RW_CALL_OFF + 1] = 0xc3;
}

// install_filter lets syscalls from the untraced site run without a
// ptrace stop; every other one stops (SECCOMP_RET_TRACE). Filters last
// across exec, so a process that has one already keeps it.
static void install_filter(void) {
	if (setup(__NR_prctl, PR_GET_SECCOMP, 0, 0, 0, 0, 0) != 0)
		return;
	uint64_t ip = RW_REGION + RW_UNTRACED_OFF + 2;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof f / sizeof f[0], f};
	setup(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	setup(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, (long)&prog, 0, 0, 0);
}

// rw_patch patches the syscall sites of the text [start, end); generic:
// also those whose call is not known (a static program's).
static void rw_patch(uintptr_t start, uintptr_t end, int generic) { patch((struct range){start, end}, generic, 0); }

// rewind loads this library at RW_STATIC_BASE into every program it
// starts, just after exec, and runs rw_static_start with the code to
// patch in [r13, r14) (the dynamic linker's text, or a static program's),
// flags in r15 (RW_PROGRAM, RW_TRAP_*) and in r12 where to go at the end
// (the code page's trap): it sets the traps, sets up the code page, this
// thread's slot and the filter, and patches; r15 then says whether the
// traps are set. rewind then puts back the registers exec left.
HIDDEN uintptr_t rw_exe_entry;
extern const char __ehdr_start[];

// static_layout finishes the mapping rewind made, readable, writable and
// executable, from the code page to this image's end (one injected call,
// not one per part): it writes the code page, gives it and each of the
// image's segments their protection and unmaps the gap between them.
static int static_layout(void) {
	write_code_page((uint8_t *)RW_REGION);
	if (setup(__NR_mprotect, RW_REGION, 4096, PROT_READ | PROT_EXEC, 0, 0, 0) != 0 ||
	    setup(__NR_munmap, RW_REGION + 4096, RW_STATIC_BASE - RW_REGION - 4096, 0, 0, 0, 0) != 0)
		return 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)__ehdr_start;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(__ehdr_start + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		long prot = (ph[i].p_flags & PF_R ? PROT_READ : 0) | (ph[i].p_flags & PF_W ? PROT_WRITE : 0) |
			    (ph[i].p_flags & PF_X ? PROT_EXEC : 0);
		uintptr_t start = RW_STATIC_BASE + (ph[i].p_vaddr & ~4095UL);
		uintptr_t end = RW_STATIC_BASE + ((ph[i].p_vaddr + ph[i].p_memsz + 4095) & ~4095UL);
		if (setup(__NR_mprotect, start, end - start, prot, 0, 0, 0) != 0)
			return 0;
	}
	return 1;
}

// set_traps makes the instructions rewind emulates fault, as asked in
// flags: made here, untraced, they cost no injected calls.
static int set_traps(int flags) {
	if ((flags & RW_TRAP_TSC) && setup(__NR_prctl, 26 /* PR_SET_TSC */, 2 /* PR_TSC_SIGSEGV */, 0, 0, 0, 0) != 0)
		return 0;
	if ((flags & RW_TRAP_CPUID) && setup(__NR_arch_prctl, 0x1012 /* ARCH_SET_CPUID */, 0, 0, 0, 0, 0) != 0)
		return 0;
	return RW_TRAPS_SET;
}

HIDDEN int rw_static_init(uintptr_t entry, uintptr_t start, uintptr_t end, int flags) {
	int done = 0;
	rw_exe_entry = entry;
	rw_v10 = flags & RW_V10;
	rw_quiet = 1;
	if (static_layout()) {
		done = set_traps(flags);
		struct range self = text((uintptr_t)__ehdr_start);
		rw_text_start = self.start;
		rw_text_end = self.end;
		set_block(&rw_noslot);
		if (slot_init()) {
			if (!rw_filtered)
				install_filter();
			// The dynamic linker's rdtsc are patched only when they
			// fault, which the stubs' own fall back on.
			int program = flags & RW_PROGRAM;
			patch((struct range){start, end}, program, !program && rw_v10 && done);
		}
	}
	rw_quiet = 0;
	return done;
}

// rw_static_patch: rewind runs it to patch libc's text, [r13, r14), as
// soon as the dynamic linker maps it; it ends at the trap, r12.
HIDDEN void rw_patch_quiet(uintptr_t start, uintptr_t end) {
	rw_quiet = 1;
	patch((struct range){start, end}, 0, 0);
	rw_quiet = 0;
}

asm(".text\n"
    ".globl rw_static_patch\n"
    ".hidden rw_static_patch\n"
    "rw_static_patch:\n"
    "	mov %rsp, %rbx\n"
    "	sub $256, %rsp\n" // past the red zone of the code it stopped
    "	and $-16, %rsp\n"
    "	mov %r13, %rdi\n"
    "	mov %r14, %rsi\n"
    "	call rw_patch_quiet\n"
    "	mov %rbx, %rsp\n"
    "	jmp *%r12\n");

asm(".text\n"
    ".globl rw_static_start\n"
    ".hidden rw_static_start\n"
    "rw_static_start:\n"
    "	mov %rsp, %rbx\n"
    "	and $-16, %rsp\n"
    "	mov %r12, %rdi\n"
    "	mov %r13, %rsi\n"
    "	mov %r14, %rdx\n"
    "	mov %r15, %rcx\n"
    "	call rw_static_init\n"
    "	mov %rbx, %rsp\n"
    "	mov %eax, %r15d\n" // what was done, for rewind
    "	xor %eax, %eax\n"
    "	xor %ebx, %ebx\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	xor %esi, %esi\n"
    "	xor %edi, %edi\n"
    "	xor %ebp, %ebp\n"
    "	xor %r8d, %r8d\n"
    "	xor %r9d, %r9d\n"
    "	xor %r10d, %r10d\n"
    "	xor %r11d, %r11d\n"
    "	xor %r12d, %r12d\n"
    "	xor %r13d, %r13d\n"
    "	xor %r14d, %r14d\n"
    "	jmp *rw_exe_entry(%rip)\n");
