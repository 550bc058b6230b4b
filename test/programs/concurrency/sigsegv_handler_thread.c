// sigsegv_handler_thread: a synchronous fault in a thread is handled in that
// thread. A worker reads a bad address and later writes a read-only page;
// the SIGSEGV handler (shared by all threads) sees the faulting tid, the
// address and SEGV_MAPERR / SEGV_ACCERR, and siglongjmps back into the
// worker, while main waits in pthread_join.
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread sigjmp_buf env;
static volatile long fault_tid;
static void *volatile fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	fault_tid = syscall(SYS_gettid);
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(env, 1);
}

static int ok1, ok2;

static void *worker(void *arg) {
	char *ro = arg;
	long me = syscall(SYS_gettid);
	if (sigsetjmp(env, 1) == 0) {
		volatile int *bad = (int *)0x10;
		(void)*bad;
	}
	ok1 = fault_tid == me && fault_addr == (void *)0x10 && fault_code == SEGV_MAPERR;
	printf("read of 0x10: handled in the faulting thread %d, address %p, SEGV_MAPERR %d\n",
	       fault_tid == me, fault_addr, fault_code == SEGV_MAPERR);
	if (sigsetjmp(env, 1) == 0)
		*(volatile char *)(ro + 8) = 1;
	ok2 = fault_tid == me && fault_addr == ro + 8 && fault_code == SEGV_ACCERR;
	printf("write to a read-only page: in the faulting thread %d, address page+8 %d, "
	       "SEGV_ACCERR %d\n",
	       fault_tid == me, fault_addr == ro + 8, fault_code == SEGV_ACCERR);
	return NULL;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_t t;
	pthread_create(&t, NULL, worker, ro);
	pthread_join(t, NULL);
	printf("main: survived, thread faults handled: %d\n", ok1 && ok2);
	return ok1 && ok2 ? 0 : 1;
}
