// getrandom_threads: getrandom(2) called by four threads at once, 16 bytes
// each; the results are printed (they differ every run), are not all zero,
// and differ between threads.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define NTHREADS 4

static unsigned char buf[NTHREADS][16];
static ssize_t got[NTHREADS];

static void *worker(void *arg) {
	long id = (long)arg;
	got[id] = getrandom(buf[id], sizeof buf[id], 0);
	return NULL;
}

int main(void) {
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	int ok = 1;
	static const unsigned char zero[16];
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d: %zd bytes: ", i, got[i]);
		for (int k = 0; k < 16; k++)
			printf("%02x", buf[i][k]);
		printf("\n");
		ok &= got[i] == 16 && memcmp(buf[i], zero, 16) != 0;
		for (int j = 0; j < i; j++)
			ok &= memcmp(buf[i], buf[j], 16) != 0;
	}
	printf("all filled and distinct: %d\n", ok);
	return ok ? 0 : 1;
}
