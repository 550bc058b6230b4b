// thread_sigmask: per-thread signal masks decide which thread gets a
// process-directed signal. Main blocks SIGUSR1 and sends it to the process
// (it stays pending), then starts three workers that inherit the mask; only
// worker 2 unblocks it with pthread_sigmask, so the handler runs there, right
// as the mask changes.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static __thread int my_index = -1;
static volatile sig_atomic_t handled_by = -2, handled_count;

static void on_usr1(int sig) {
	(void)sig;
	handled_by = my_index;
	handled_count++;
}

static void *worker(void *arg) {
	my_index = (int)(long)arg;
	if (my_index == 2) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	my_index = 100;
	signal(SIGUSR1, on_usr1);
	sigset_t s, cur, pending;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	kill(getpid(), SIGUSR1);
	sigpending(&pending);
	printf("pending before workers: %d\n", sigismember(&pending, SIGUSR1));

	pthread_t th[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);

	sigpending(&pending);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	printf("handled by worker %d, %d time(s)\n", (int)handled_by, (int)handled_count);
	printf("pending after: %d, main still blocks it: %d\n", sigismember(&pending, SIGUSR1),
	       sigismember(&cur, SIGUSR1));
	return handled_by == 2 && handled_count == 1 ? 0 : 1;
}
