// mmap_threads: address-space changes from several threads at once. Each
// of four threads repeatedly maps anonymous memory, fills it, makes it
// read-only with mprotect, checks it, grows it with mremap and unmaps it,
// while the others do the same.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define NTHREADS 4
#define ROUNDS 200

static long sums[NTHREADS];
static int failures[NTHREADS];

static void *worker(void *arg) {
	long id = (long)arg;
	long sum = 0;
	for (int r = 0; r < ROUNDS; r++) {
		size_t len = 4096 * (1 + (r + id) % 4);
		unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			failures[id]++;
			continue;
		}
		memset(p, (int)(id + r) & 0xff, len);
		mprotect(p, len, PROT_READ);
		sum += p[len - 1];
		unsigned char *q = mremap(p, len, len * 2, MREMAP_MAYMOVE);
		if (q == MAP_FAILED) {
			failures[id]++;
			munmap(p, len);
			continue;
		}
		if (q[0] != (unsigned char)(id + r) || q[len * 2 - 1] != 0)
			failures[id]++;
		munmap(q, len * 2);
	}
	sums[id] = sum;
	return NULL;
}

int main(void) {
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	int ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d: sum %ld, failures %d\n", i, sums[i], failures[i]);
		ok &= failures[i] == 0;
	}
	return ok ? 0 : 1;
}
