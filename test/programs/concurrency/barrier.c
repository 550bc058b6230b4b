// barrier: pthread_barrier_wait separating phases. Four threads run five
// phases; in each, every thread adds to the phase's counter, and after the
// barrier every thread checks that all four did. Exactly one thread per
// phase gets PTHREAD_BARRIER_SERIAL_THREAD.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 4
#define PHASES 5

static pthread_barrier_t bar;
static atomic_int count[PHASES], serial[PHASES], bad;

static void *worker(void *arg) {
	(void)arg;
	for (int p = 0; p < PHASES; p++) {
		atomic_fetch_add(&count[p], 1);
		int r = pthread_barrier_wait(&bar);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&serial[p], 1);
		else if (r != 0)
			atomic_fetch_add(&bad, 1);
		if (atomic_load(&count[p]) != NTHREADS)
			atomic_fetch_add(&bad, 1);
		// Nobody starts the next phase before everybody checked this one.
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_barrier_init(&bar, NULL, NTHREADS);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	int ok = atomic_load(&bad) == 0;
	for (int p = 0; p < PHASES; p++) {
		printf("phase %d: arrived %d, serial threads %d\n", p, atomic_load(&count[p]),
		       atomic_load(&serial[p]));
		ok &= atomic_load(&serial[p]) == 1;
	}
	printf("violations: %d\n", atomic_load(&bad));
	pthread_barrier_destroy(&bar);
	return ok ? 0 : 1;
}
