// pi_mutex: priority-inheritance mutexes, which glibc locks with
// FUTEX_LOCK_PI / FUTEX_UNLOCK_PI when contended (the kernel then owns the
// wait queue and writes the owner's tid into the lock word). Four threads
// increment a counter under one; also a PI trylock on a held mutex.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 4
#define ITER 1000

static pthread_mutex_t m;
static long counter;

static void *worker(void *arg) {
	(void)arg;
	for (int i = 0; i < ITER; i++) {
		pthread_mutex_lock(&m);
		counter++;
		if (i % 100 == 0)
			sched_yield(); // hold it for a while: contention
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static int try_result;

static void *try_held(void *arg) {
	(void)arg;
	try_result = pthread_mutex_trylock(&m);
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	int r = pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	printf("PTHREAD_PRIO_INHERIT: %d\n", r);
	pthread_mutex_init(&m, &a);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("counter: %ld (expected %d)\n", counter, NTHREADS * ITER);

	pthread_mutex_lock(&m);
	pthread_t t;
	pthread_create(&t, NULL, try_held, NULL);
	pthread_join(t, NULL);
	pthread_mutex_unlock(&m);
	printf("trylock while held: %s\n", try_result == EBUSY ? "EBUSY" : "?");
	return counter == NTHREADS * ITER && try_result == EBUSY ? 0 : 1;
}
