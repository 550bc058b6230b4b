// stdio_threads: several threads printing to one line-buffered stdout. The
// order of lines varies between runs, but stdio's per-stream lock keeps
// every line whole; each line is one write(2).
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 4
#define LINES 50

static void *worker(void *arg) {
	long id = (long)arg;
	char pad[40];
	memset(pad, 'a' + (int)id, sizeof pad - 1);
	pad[sizeof pad - 1] = 0;
	for (int i = 0; i < LINES; i++)
		printf("thread %ld line %02d %s\n", id, i, pad);
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("all %d lines printed\n", NTHREADS * LINES);
	return 0;
}
