// sigqueue_threads: realtime signals queue. Four threads each sigqueue ten
// SIGRTMIN signals carrying distinct values to the process, where every
// thread blocks them; main takes all forty with sigwaitinfo, none merged or
// lost, and sums the values.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 4
#define EACH 10

static void *sender(void *arg) {
	long id = (long)arg;
	for (int i = 0; i < EACH; i++) {
		union sigval v = {.sival_int = (int)(id * 100 + i)};
		sigqueue(getpid(), SIGRTMIN, v);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, sender, (void *)i);
	long sum = 0;
	int n = 0, per_sender_order = 1, last[NTHREADS] = {-1, -1, -1, -1};
	while (n < NTHREADS * EACH) {
		siginfo_t si;
		if (sigwaitinfo(&set, &si) != SIGRTMIN)
			break;
		int v = si.si_value.sival_int, id = v / 100;
		if (id >= 0 && id < NTHREADS) {
			if (v % 100 <= last[id])
				per_sender_order = 0;
			last[id] = v % 100;
		}
		sum += v;
		n++;
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("received %d, value sum %ld, each sender's in order %d\n", n, sum, per_sender_order);
	return n == NTHREADS * EACH && sum == 6180 && per_sender_order ? 0 : 1;
}
