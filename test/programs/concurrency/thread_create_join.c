// thread_create_join: pthread_create and pthread_join. Four threads each sum
// one slice of 1..N into a slot of their own; main joins them in order and
// prints every partial sum and the total.
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 4
#define N 100000L

static long long partial[NTHREADS];

static void *worker(void *arg) {
	long i = (long)arg;
	long long s = 0;
	for (long k = i * (N / NTHREADS) + 1; k <= (i + 1) * (N / NTHREADS); k++)
		s += k;
	partial[i] = s;
	return NULL;
}

int main(void) {
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&th[i], NULL, worker, (void *)i);
		if (err != 0) {
			printf("pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	long long total = 0;
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_join(th[i], NULL);
		printf("thread %d: joined=%d sum=%lld\n", i, err == 0, partial[i]);
		total += partial[i];
	}
	long long want = N * (N + 1) / 2;
	printf("total: %lld (expected %lld)\n", total, want);
	return total == want ? 0 : 1;
}
