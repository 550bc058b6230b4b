// epoll_threads: one epoll instance watching pipes fed by four threads.
// Each thread writes 50 numbered messages to its own pipe and closes it;
// main waits with epoll_wait, reads whatever is ready, and counts bytes and
// EOFs per pipe until all four have hung up.
#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4
#define MSGS 50

static int pipes[NTHREADS][2];

static void *feeder(void *arg) {
	long id = (long)arg;
	for (int i = 0; i < MSGS; i++) {
		char msg[16];
		int n = snprintf(msg, sizeof msg, "%ld:%03d;", id, i);
		write(pipes[id][1], msg, n);
		if (i % 10 == 0) {
			struct timespec ts = {0, 100 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	close(pipes[id][1]);
	return NULL;
}

int main(void) {
	alarm(5);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (long i = 0; i < NTHREADS; i++) {
		pipe(pipes[i]);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, pipes[i][0], &ev);
	}
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, feeder, (void *)i);
	long bytes[NTHREADS] = {0};
	int open_pipes = NTHREADS, wakeups = 0;
	while (open_pipes > 0) {
		struct epoll_event evs[NTHREADS];
		int n = epoll_wait(ep, evs, NTHREADS, 3000);
		if (n <= 0)
			break;
		wakeups++;
		for (int k = 0; k < n; k++) {
			int id = (int)evs[k].data.u32;
			char buf[512];
			ssize_t r = read(pipes[id][0], buf, sizeof buf);
			if (r > 0) {
				bytes[id] += r;
			} else if (r == 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, pipes[id][0], NULL);
				close(pipes[id][0]);
				open_pipes--;
			}
		}
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	int ok = open_pipes == 0;
	for (int i = 0; i < NTHREADS; i++) {
		printf("pipe %d: %ld bytes then EOF\n", i, bytes[i]);
		ok &= bytes[i] == MSGS * 6;
	}
	printf("all hung up: %d\n", open_pipes == 0);
	close(ep);
	return ok ? 0 : 1;
}
