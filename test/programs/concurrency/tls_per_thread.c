// tls_per_thread: thread-local storage. Each thread has its own copy of
// initialized and zero-initialized __thread variables (and so a TLS block
// set up through clone's CLONE_SETTLS / the fs base); writes in one thread
// are invisible to the others and to main.
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4

static __thread int tls_init = 100;
static __thread long tls_zero;
static __thread char tls_buf[64];

static int seen_init[NTHREADS];
static long seen_zero[NTHREADS], result[NTHREADS];
static void *addr[NTHREADS];

static void *worker(void *arg) {
	int i = (int)(long)arg;
	seen_init[i] = tls_init;
	seen_zero[i] = tls_zero;
	addr[i] = &tls_init;
	for (int k = 0; k < 1000; k++) {
		tls_init += i;
		tls_zero += k;
	}
	snprintf(tls_buf, sizeof tls_buf, "thread %d", i);
	result[i] = tls_init + tls_zero + (tls_buf[7] - '0');
	return NULL;
}

int main(void) {
	tls_init = 7;
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	int distinct = 1;
	for (int i = 0; i < NTHREADS; i++) {
		printf("thread %d: started with %d/%ld, result %ld\n", i, seen_init[i], seen_zero[i],
		       result[i]);
		for (int j = 0; j < i; j++)
			if (addr[i] == addr[j])
				distinct = 0;
	}
	printf("distinct addresses: %d\n", distinct);
	printf("main: tls_init=%d tls_zero=%ld buf=\"%s\"\n", tls_init, tls_zero, tls_buf);
	return distinct && tls_init == 7 ? 0 : 1;
}
