// rdtsc_threads: the time-stamp counter read with rdtsc and rdtscp in
// several threads (a recorder traps these). Within a thread the counter
// advances; rdtscp also reports a processor id. Values differ every run.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NTHREADS 3
#define SAMPLES 200

static int advanced[NTHREADS];
static uint64_t first[NTHREADS], last[NTHREADS];

static inline uint64_t rdtsc(void) {
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdtscp(uint32_t *aux) {
	uint32_t lo, hi;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux));
	return (uint64_t)hi << 32 | lo;
}

static void *worker(void *arg) {
	long id = (long)arg;
	uint32_t aux;
	first[id] = rdtsc();
	uint64_t t = 0;
	for (int i = 0; i < SAMPLES; i++)
		t = i % 2 ? rdtsc() : rdtscp(&aux);
	last[id] = t;
	advanced[id] = last[id] > first[id];
	return NULL;
}

int main(void) {
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	int ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d: tsc %llu -> %llu\n", i, (unsigned long long)first[i],
		       (unsigned long long)last[i]);
		ok &= advanced[i];
	}
	printf("advanced in every thread: %d\n", ok);
	return ok ? 0 : 1;
}
