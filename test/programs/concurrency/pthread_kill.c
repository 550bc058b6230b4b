// pthread_kill: thread-directed signals. Three threads block SIGUSR1 and
// wait in sigsuspend; main sends each its own SIGUSR1 with pthread_kill, and
// the handler records in which thread it ran. pthread_kill(t, 0) checks that
// a thread exists.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 3

static __thread int my_index = -1;
static volatile int ran_in[NTHREADS];
static pthread_barrier_t ready;

static void on_usr1(int sig) {
	(void)sig;
	if (my_index >= 0 && my_index < NTHREADS)
		ran_in[my_index]++;
}

static void *worker(void *arg) {
	my_index = (int)(long)arg;
	sigset_t none;
	sigemptyset(&none);
	pthread_barrier_wait(&ready);
	while (!ran_in[my_index])
		sigsuspend(&none); // atomically unblocks SIGUSR1 and waits
	return NULL;
}

int main(void) {
	alarm(5);
	signal(SIGUSR1, on_usr1);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL); // inherited by the workers
	pthread_barrier_init(&ready, NULL, NTHREADS + 1);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	pthread_barrier_wait(&ready);
	printf("pthread_kill(t, 0) on a live thread: %d\n", pthread_kill(th[1], 0));
	for (int i = NTHREADS - 1; i >= 0; i--)
		pthread_kill(th[i], SIGUSR1);
	int ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d: handler ran there %d time(s)\n", i, ran_in[i]);
		ok &= ran_in[i] == 1;
	}
	return ok ? 0 : 1;
}
