// pthread_once: eight threads race into pthread_once after a barrier; the
// init routine runs exactly once and all of them see its result.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 8

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_barrier_t start;
static atomic_int init_calls;
static volatile long table_sum;
static long seen[NTHREADS];

static void init(void) {
	atomic_fetch_add(&init_calls, 1);
	long s = 0;
	for (int i = 0; i < 100000; i++)
		s += i;
	table_sum = s;
}

static void *worker(void *arg) {
	long i = (long)arg;
	pthread_barrier_wait(&start);
	pthread_once(&once, init);
	seen[i] = table_sum;
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_barrier_init(&start, NULL, NTHREADS);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	int all = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		all &= seen[i] == 4999950000L;
	}
	printf("init ran %d time(s)\n", atomic_load(&init_calls));
	printf("every thread saw the result: %d\n", all);
	return atomic_load(&init_calls) == 1 && all ? 0 : 1;
}
