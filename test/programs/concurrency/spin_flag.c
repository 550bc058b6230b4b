// spin_flag: threads that busy-wait on a volatile flag, making no syscalls
// while they spin, so they only make progress if the other side gets CPU
// time: a recorder that runs one thread at a time must preempt the spinner.
// First a thread spins until main (which sleeps first) sets a flag; then
// main spins until a thread that computes for a while sets another.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile int go, answer_ready;
static volatile long answer;
static volatile unsigned long spins1, spins2;

static void *spinner(void *arg) {
	(void)arg;
	unsigned long n = 0;
	while (!go)
		n++;
	spins1 = n;
	return NULL;
}

static void *computer(void *arg) {
	(void)arg;
	long s = 0;
	for (long i = 0; i < 2000000; i++)
		s += i % 7;
	answer = s;
	answer_ready = 1;
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL);
	go = 1;
	pthread_join(t, NULL);
	printf("spinner released by main: %d\n", go);

	pthread_create(&t, NULL, computer, NULL);
	unsigned long n = 0;
	while (!answer_ready)
		n++;
	spins2 = n;
	pthread_join(t, NULL);
	printf("main saw the answer: %ld\n", answer);
	return answer == 5999995 ? 0 : 1;
}
