// fatal_signal_in_thread: an unhandled fault in one thread kills the whole
// process. A worker dereferences a bad pointer while main waits in
// pthread_join and another thread sleeps; the process dies of SIGSEGV
// (exit status 139 as a shell reports it). Core dumps are off.
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg) {
	(void)arg;
	struct timespec ts = {10, 0};
	nanosleep(&ts, NULL);
	return NULL;
}

static void *crasher(void *arg) {
	(void)arg;
	printf("thread: about to fault\n");
	fflush(stdout);
	volatile int *bad = (int *)0x20;
	*bad = 1;
	printf("thread: not reached\n");
	return NULL;
}

int main(void) {
	alarm(5);
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	printf("main: starting threads\n");
	fflush(stdout);
	pthread_t s, c;
	pthread_create(&s, NULL, sleeper, NULL);
	pthread_create(&c, NULL, crasher, NULL);
	pthread_join(c, NULL);
	printf("main: not reached\n");
	return 0;
}
