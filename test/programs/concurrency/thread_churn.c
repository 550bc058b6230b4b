// thread_churn: 1500 threads created and joined one after another, each
// making a few calls through the syscall buffer: more threads over the
// program's life than the buffer has slots (1024), so a thread must take
// the slot of one that ended.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 1500

static long total, clocks_ok;

static void *work(void *arg) {
	struct timespec ts;
	clocks_ok += clock_gettime(CLOCK_MONOTONIC, &ts) == 0;
	total += (long)arg + (getppid() > 0 ? 0 : 1);
	return NULL;
}

int main(void) {
	alarm(20);
	for (long i = 0; i < NTHREADS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, work, (void *)i) != 0)
			return 1;
		pthread_join(t, NULL);
	}
	printf("threads: %d, total %ld, clocks %ld\n", NTHREADS, total, clocks_ok);
	return total == (long)NTHREADS * (NTHREADS - 1) / 2 && clocks_ok == NTHREADS ? 0 : 1;
}
