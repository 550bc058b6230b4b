// thread_exit_group_while_others_block: one thread calls exit(3) while the
// others are blocked: one in read() on a pipe nobody writes, one in
// pthread_cond_wait (a futex), one in a 10 s nanosleep, and main in
// pthread_join. exit runs the atexit handler and flushes stdio, then
// exit_group takes every thread down; the process exits with 3 at once.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int p[2];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static atomic_int blocked;

static void *reader(void *arg) {
	(void)arg;
	char b;
	atomic_fetch_add(&blocked, 1);
	read(p[0], &b, 1);
	return NULL;
}

static void *cond_waiter(void *arg) {
	(void)arg;
	pthread_mutex_lock(&m);
	atomic_fetch_add(&blocked, 1);
	for (;;)
		pthread_cond_wait(&c, &m);
	return NULL;
}

static void *sleeper(void *arg) {
	(void)arg;
	atomic_fetch_add(&blocked, 1);
	struct timespec ts = {10, 0};
	nanosleep(&ts, NULL);
	return NULL;
}

static void *exiter(void *arg) {
	(void)arg;
	while (atomic_load(&blocked) < 3)
		sched_yield();
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL); // let them reach their blocking calls
	printf("exiter: calling exit(3) with three threads blocked\n");
	exit(3);
}

static void at_exit(void) { printf("atexit handler ran\n"); }

int main(void) {
	alarm(5);
	atexit(at_exit);
	pipe(p);
	pthread_t t[4];
	pthread_create(&t[0], NULL, reader, NULL);
	pthread_create(&t[1], NULL, cond_waiter, NULL);
	pthread_create(&t[2], NULL, sleeper, NULL);
	pthread_create(&t[3], NULL, exiter, NULL);
	printf("main: joining the reader\n");
	pthread_join(t[0], NULL);
	printf("main: not reached\n");
	return 0;
}
