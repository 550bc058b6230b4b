// tsd_destructors: thread-specific data (pthread_key_create). Each thread
// stores its own heap value under two keys; the destructors run at thread
// exit, whether by return or by pthread_exit, in the exiting thread, and not
// for a NULL value. A destructor that sets the value again gets called again.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 4

static pthread_key_t key, again_key;
static atomic_long freed_sum;
static atomic_int calls, in_owner, again_calls;

struct val {
	long n;
	long tid;
};

static void destroy(void *p) {
	struct val *v = p;
	atomic_fetch_add(&calls, 1);
	atomic_fetch_add(&freed_sum, v->n);
	if (v->tid == syscall(SYS_gettid))
		atomic_fetch_add(&in_owner, 1);
	free(v);
}

static void destroy_again(void *p) {
	long n = (long)p;
	atomic_fetch_add(&again_calls, 1);
	if (n > 1)
		pthread_setspecific(again_key, (void *)(n - 1));
}

static void *worker(void *arg) {
	long i = (long)arg;
	struct val *v = malloc(sizeof *v);
	v->n = 10 * (i + 1);
	v->tid = syscall(SYS_gettid);
	pthread_setspecific(key, v);
	if (i == 0)
		pthread_setspecific(again_key, (void *)3L);
	if (i == 3) {
		pthread_setspecific(key, NULL); // no destructor call
		free(v);
	}
	if (i % 2)
		pthread_exit(NULL);
	return NULL;
}

int main(void) {
	pthread_key_create(&key, destroy);
	pthread_key_create(&again_key, destroy_again);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("destructor calls: %d, in the owning thread: %d, freed sum: %ld\n",
	       atomic_load(&calls), atomic_load(&in_owner), atomic_load(&freed_sum));
	printf("re-armed destructor calls: %d\n", atomic_load(&again_calls));
	return atomic_load(&calls) == 3 && atomic_load(&in_owner) == 3 &&
	               atomic_load(&freed_sum) == 60 && atomic_load(&again_calls) == 3
	           ? 0
	           : 1;
}
