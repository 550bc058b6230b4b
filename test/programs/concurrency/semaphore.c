// semaphore: POSIX unnamed semaphores as a bounded buffer between a
// producer and a consumer thread (1000 items through 8 slots), plus
// sem_trywait on an empty semaphore (EAGAIN) and sem_timedwait timing out
// (ETIMEDOUT).
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 8
#define ITEMS 1000

static sem_t empty, full;
static int buf[SLOTS];
static long consumed_sum;
static int in_order = 1;

static void *producer(void *arg) {
	(void)arg;
	for (int i = 1; i <= ITEMS; i++) {
		sem_wait(&empty);
		buf[i % SLOTS] = i;
		sem_post(&full);
	}
	return NULL;
}

static void *consumer(void *arg) {
	(void)arg;
	for (int i = 1; i <= ITEMS; i++) {
		sem_wait(&full);
		int v = buf[i % SLOTS];
		if (v != i)
			in_order = 0;
		consumed_sum += v;
		sem_post(&empty);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	sem_init(&empty, 0, SLOTS);
	sem_init(&full, 0, 0);
	pthread_t p, c;
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	int v;
	sem_getvalue(&empty, &v);
	printf("consumed sum: %ld in order: %d, free slots after: %d\n", consumed_sum, in_order, v);

	int r = sem_trywait(&full);
	printf("trywait on empty: %d %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 5 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	r = sem_timedwait(&full, &ts);
	printf("timedwait: %d %s\n", r, errno == ETIMEDOUT ? "ETIMEDOUT" : "?");
	return consumed_sum == ITEMS * (ITEMS + 1) / 2 && in_order ? 0 : 1;
}
