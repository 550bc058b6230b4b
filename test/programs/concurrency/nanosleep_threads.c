// nanosleep_threads: four threads sleeping at once, each five times 10 ms
// with nanosleep, measuring on CLOCK_MONOTONIC that it slept at least 50 ms;
// they sleep in parallel, so the whole takes far less than 200 ms.
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define NTHREADS 4

static double slept[NTHREADS];

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *sleeper(void *arg) {
	long id = (long)arg;
	double start = now_ms();
	for (int i = 0; i < 5; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	slept[id] = now_ms() - start;
	return NULL;
}

int main(void) {
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, sleeper, (void *)i);
	int ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d slept at least 50 ms: %d\n", i, slept[i] >= 50);
		ok &= slept[i] >= 50;
	}
	return ok ? 0 : 1;
}
