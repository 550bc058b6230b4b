// racy_counter: a data race on purpose. Four threads increment one
// unsynchronized counter argv[1] times each (default 2000), with a
// sched_yield() between the load and the store every few iterations, so
// updates get lost depending on how the threads interleave. The result
// changes from run to run; a replay must reproduce its recording's.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4

static volatile long counter;
static long iterations = 2000;
static int finish_order[NTHREADS];
static volatile int finished;
static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
	int id = (int)(long)arg;
	for (long i = 0; i < iterations; i++) {
		long v = counter;
		if ((i + id) % 4 == 0)
			sched_yield();
		counter = v + 1;
	}
	pthread_mutex_lock(&order_lock);
	finish_order[finished++] = id;
	pthread_mutex_unlock(&order_lock);
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
	printf("expected: %ld\n", want);
	printf("counter: %ld\n", counter);
	printf("lost updates: %ld\n", want - counter);
	printf("finish order: %d %d %d %d\n", finish_order[0], finish_order[1], finish_order[2],
	       finish_order[3]);
	return counter >= 1 && counter <= want ? 0 : 1;
}
