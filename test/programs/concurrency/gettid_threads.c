// gettid_threads: thread identity. Eight threads, alive together, each get a
// distinct tid that differs from the pid; getpid and getppid are the same in
// all; the main thread's tid is the pid; pthread_self values are distinct.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 8

static pthread_barrier_t together;
static pid_t tid[NTHREADS], pid[NTHREADS], ppid[NTHREADS];
static pthread_t self[NTHREADS];

static void *worker(void *arg) {
	long i = (long)arg;
	tid[i] = gettid();
	pid[i] = getpid();
	ppid[i] = getppid();
	self[i] = pthread_self();
	pthread_barrier_wait(&together);
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_barrier_init(&together, NULL, NTHREADS);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	int distinct = 1, same_pid = 1, same_ppid = 1, selfs = 1;
	for (int i = 0; i < NTHREADS; i++) {
		if (tid[i] == getpid())
			distinct = 0;
		same_pid &= pid[i] == getpid();
		same_ppid &= ppid[i] == getppid();
		selfs &= pthread_equal(self[i], th[i]) != 0;
		for (int j = 0; j < i; j++)
			if (tid[i] == tid[j] || pthread_equal(self[i], self[j]))
				distinct = 0;
	}
	printf("main tid is the pid: %d\n", gettid() == getpid());
	printf("distinct tids: %d\n", distinct);
	printf("same pid: %d, same ppid: %d\n", same_pid, same_ppid);
	printf("pthread_self matches pthread_create: %d\n", selfs);
	return distinct && same_pid && same_ppid && selfs && gettid() == getpid() ? 0 : 1;
}
