// detached_threads: threads nobody joins, made detached through the
// attribute and through pthread_detach. Each adds to a counter and posts a
// semaphore; main waits on the semaphore, then exits while some detached
// threads may still be on their way out (exit_group takes them down).
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 8

static sem_t done;
static atomic_long total;

static void *worker(void *arg) {
	long i = (long)arg;
	atomic_fetch_add(&total, i * i);
	sem_post(&done);
	return NULL;
}

int main(void) {
	alarm(5);
	sem_init(&done, 0, 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int state = -1;
	pthread_attr_getdetachstate(&attr, &state);
	printf("attribute detached: %d\n", state == PTHREAD_CREATE_DETACHED);
	for (long i = 0; i < NTHREADS; i++) {
		pthread_t t;
		if (i % 2 == 0) {
			pthread_create(&t, &attr, worker, (void *)i);
		} else {
			pthread_create(&t, NULL, worker, (void *)i);
			pthread_detach(t);
		}
	}
	for (int i = 0; i < NTHREADS; i++)
		sem_wait(&done);
	printf("all %d detached threads ran, sum of squares %ld\n", NTHREADS, atomic_load(&total));
	return atomic_load(&total) == 140 ? 0 : 1;
}
