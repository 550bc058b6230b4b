// mutex_counter: a pthread mutex protecting a shared counter. Four threads
// each increment it argv[1] times (default 100000) under the mutex; the
// total must come out exact.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long iterations = 100000;

static void *worker(void *arg) {
	(void)arg;
	for (long i = 0; i < iterations; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(int argc, char **argv) {
	if (argc > 1)
		iterations = atol(argv[1]);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			return 2;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("counter: %ld (expected %ld)\n", counter, NTHREADS * iterations);
	int busy = pthread_mutex_trylock(&lock);
	printf("trylock on a free mutex: %d\n", busy);
	printf("trylock on a held mutex: %s\n",
	       pthread_mutex_trylock(&lock) != 0 ? "EBUSY" : "acquired?!");
	pthread_mutex_unlock(&lock);
	return counter == NTHREADS * iterations ? 0 : 1;
}
