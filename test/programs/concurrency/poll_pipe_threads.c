// poll_pipe_threads: poll(2) on pipes written by threads. A zero-timeout
// poll on empty pipes returns 0; a short timeout expires; then three
// threads write a line each, in turn (main tells the next one to go once it
// has received the previous), and main polls all three pipes for them.
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 3

static int pipes[NTHREADS][2];
static sem_t go[NTHREADS];

static void *writer(void *arg) {
	long id = (long)arg;
	sem_wait(&go[id]);
	char msg[32];
	int n = snprintf(msg, sizeof msg, "line from thread %ld", id);
	write(pipes[id][1], msg, n);
	return NULL;
}

int main(void) {
	alarm(5);
	struct pollfd pfd[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		pipe(pipes[i]);
		sem_init(&go[i], 0, 0);
		pfd[i] = (struct pollfd){.fd = pipes[i][0], .events = POLLIN};
	}
	printf("poll(0) on empty pipes: %d\n", poll(pfd, NTHREADS, 0));
	printf("poll(5 ms) on empty pipes: %d\n", poll(pfd, NTHREADS, 5));
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	int ok = 1;
	for (int turn = NTHREADS - 1; turn >= 0; turn--) {
		sem_post(&go[turn]);
		int n = poll(pfd, NTHREADS, 3000);
		int ready = -1;
		for (int i = 0; i < NTHREADS; i++)
			if (pfd[i].revents & POLLIN)
				ready = i;
		char buf[64] = {0};
		if (ready >= 0)
			read(pipes[ready][0], buf, sizeof buf - 1);
		printf("poll returned %d, pipe %d ready: %s\n", n, ready, buf);
		ok &= n == 1 && ready == turn;
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	return ok ? 0 : 1;
}
