// thread_loop: two workers run many iterations side by side, each with a
// switch point (sched_yield) and a contended mutex, while main waits in
// pthread_join: the replay has three live threads for thousands of
// events, so snapshots that re-create threads are taken and used.
// Each worker also keeps per-thread state the kernel or the CPU holds
// (a vector register across syscalls, TLS, its signal mask and signal
// stack, its clear_child_tid that pthread_join waits on) and folds it
// into what it prints: a snapshot that lost any of it changes the output
// or diverges.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long n = 1500; // argv[1] if given
static long total;
static long seen[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static __thread long tls;

__attribute__((noinline)) void marker(int id, long i) { // LINE:marker
	__asm__ volatile("" ::: "memory");
	(void)id, (void)i;
}

static void *worker(void *arg) {
	int id = (int)(long)arg;
	static char altstacks[2][65536];
	stack_t ss = {.ss_sp = altstacks[id], .ss_size = sizeof altstacks[id] - 4096 * id};
	sigaltstack(&ss, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, id ? SIGUSR2 : SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	double want = id + 0.25, have;
	for (long i = 0; i < n; i++) {
		// The value stays in xmm9 across the syscall.
		__asm__ volatile("movsd %1, %%xmm9\n\t"
		                 "mov $24, %%eax\n\t" // sched_yield
		                 "syscall\n\t"
		                 "movsd %%xmm9, %0"
		                 : "=m"(have)
		                 : "m"(want)
		                 : "rax", "rcx", "r11", "xmm9", "memory");
		tls += id + 1;
		sigset_t now;
		pthread_sigmask(SIG_BLOCK, NULL, &now);
		stack_t cur;
		sigaltstack(NULL, &cur);
		pthread_mutex_lock(&mu);
		total += (have == want) + tls % 7 + sigismember(&now, SIGUSR1) + 2 * sigismember(&now, SIGUSR2) + (long)cur.ss_size % 5;
		pthread_mutex_unlock(&mu);
		seen[id] = i;
		if (i % 300 == 150)
			marker(id, i); // LINE:call
	}
	return (void *)tls;
}

int main(int argc, char **argv) {
	if (argc > 1)
		n = atol(argv[1]);
	pthread_t th[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	long sum = 0;
	for (int i = 0; i < 2; i++) {
		void *r;
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	printf("total %ld tls %ld seen %ld %ld\n", total, sum, seen[0], seen[1]); // LINE:print
	return 0;
}
