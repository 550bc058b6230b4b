// atomic_counter: lock-free shared state with C11 atomics. Four threads
// each do argv[1] (default 100000) fetch_adds and compare-and-swap updates
// of a running maximum; both must come out exact.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4

static atomic_long counter, maximum, cas_retries;
static long iterations = 100000;

static void *worker(void *arg) {
	long id = (long)arg;
	for (long i = 0; i < iterations; i++) {
		atomic_fetch_add(&counter, 1);
		long v = i * NTHREADS + id;
		long cur = atomic_load(&maximum);
		while (v > cur && !atomic_compare_exchange_weak(&maximum, &cur, v))
			atomic_fetch_add_explicit(&cas_retries, 1, memory_order_relaxed);
	}
	return NULL;
}

int main(int argc, char **argv) {
	if (argc > 1)
		iterations = atol(argv[1]);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	long want = NTHREADS * iterations;
	printf("counter: %ld (expected %ld)\n", atomic_load(&counter), want);
	printf("maximum: %ld (expected %ld)\n", atomic_load(&maximum), want - 1);
	return atomic_load(&counter) == want && atomic_load(&maximum) == want - 1 ? 0 : 1;
}
