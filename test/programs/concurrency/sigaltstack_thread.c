// sigaltstack_thread: alternate signal stacks are per thread. A new thread
// starts without one (SS_DISABLE); it installs one and its SA_ONSTACK
// handler runs there, while the same handler in main (no alternate stack)
// runs on the normal stack. Then the thread overflows its small stack, and
// the SIGSEGV handler, on the alternate stack, siglongjmps out.
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static __thread char *alt_lo, *alt_hi;
static __thread sigjmp_buf escape;
static __thread volatile int on_alt, segv_on_alt;

static void on_usr1(int sig) {
	(void)sig;
	char here;
	on_alt = alt_lo && &here >= alt_lo && &here < alt_hi;
}

static void on_segv(int sig) {
	(void)sig;
	char here;
	segv_on_alt = alt_lo && &here >= alt_lo && &here < alt_hi;
	siglongjmp(escape, 1);
}

static int recurse(int n) {
	volatile char buf[1024];
	buf[0] = (char)n;
	if (n > 100000000)
		return 0;
	return recurse(n + 1) + buf[0];
}

static int initially_disabled, thread_on_alt, overflow_caught, overflow_on_alt;

static void *worker(void *arg) {
	(void)arg;
	stack_t old;
	sigaltstack(NULL, &old);
	initially_disabled = (old.ss_flags & SS_DISABLE) != 0;

	stack_t ss = {.ss_size = 64 * 1024};
	ss.ss_sp = malloc(ss.ss_size);
	alt_lo = ss.ss_sp;
	alt_hi = alt_lo + ss.ss_size;
	sigaltstack(&ss, NULL);

	pthread_kill(pthread_self(), SIGUSR1);
	thread_on_alt = on_alt;

	if (sigsetjmp(escape, 1) == 0)
		recurse(0);
	else
		overflow_caught = 1;
	overflow_on_alt = segv_on_alt;

	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	free(alt_lo);
	return NULL;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_flags = SA_ONSTACK;
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);

	raise(SIGUSR1);
	printf("main: handler on alternate stack: %d\n", (int)on_alt);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	pthread_t t;
	pthread_create(&t, &attr, worker, NULL);
	pthread_join(t, NULL);
	printf("thread: starts with SS_DISABLE: %d\n", initially_disabled);
	printf("thread: handler on alternate stack: %d\n", thread_on_alt);
	printf("thread: stack overflow caught: %d, on alternate stack: %d\n", overflow_caught,
	       overflow_on_alt);
	return !on_alt && initially_disabled && thread_on_alt && overflow_caught && overflow_on_alt
	           ? 0
	           : 1;
}
