// thread_cancel: pthread_cancel, which glibc implements by sending SIGCANCEL
// (a realtime signal) to the target thread. Deferred cancellation of a
// thread blocked in read() runs its cleanup handler; a thread that disabled
// cancellation finishes its work first; an asynchronously cancellable thread
// is cancelled in the middle of a pure computation loop.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int pipefd[2];
static volatile int cleanup_ran, disabled_finished, async_spinning;

static void cleanup(void *arg) {
	(void)arg;
	cleanup_ran = 1;
}

static void *blocked_reader(void *arg) {
	(void)arg;
	char c;
	pthread_cleanup_push(cleanup, NULL);
	for (;;)
		read(pipefd[0], &c, 1);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *disabled(void *arg) {
	(void)arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL); // would be a cancellation point
	disabled_finished = 1;
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_testcancel();
	return (void *)1L;
}

static void *async_spinner(void *arg) {
	(void)arg;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	volatile unsigned long x = 0;
	for (;;) {
		x++;
		async_spinning = 1;
	}
	return NULL;
}

int main(void) {
	alarm(5);
	pipe(pipefd);
	pthread_t t;
	void *ret;

	pthread_create(&t, NULL, blocked_reader, NULL);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("blocked in read: cancelled %d, cleanup ran %d\n", ret == PTHREAD_CANCELED,
	       (int)cleanup_ran);

	pthread_create(&t, NULL, disabled, NULL);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancel disabled: finished first %d, then cancelled %d\n", (int)disabled_finished,
	       ret == PTHREAD_CANCELED);

	pthread_create(&t, NULL, async_spinner, NULL);
	while (!async_spinning)
		sched_yield();
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("asynchronous, while spinning: cancelled %d\n", ret == PTHREAD_CANCELED);
	return cleanup_ran && disabled_finished && ret == PTHREAD_CANCELED ? 0 : 1;
}
