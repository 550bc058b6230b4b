// thread_exit_retval: how a thread's result reaches pthread_join: returned
// from the start routine, passed to pthread_exit from a nested call, a
// pointer to heap data, and PTHREAD_CANCELED for a thread cancelled while
// blocked.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *returns(void *arg) { return (void *)((long)arg * 3); }

static void deep(int n) {
	if (n < 0)
		return;
	if (n == 0)
		pthread_exit((void *)77L);
	deep(n - 1);
	printf("not reached\n");
}

static void *exits_nested(void *arg) {
	(void)arg;
	deep(5);
	return (void *)1L;
}

static void *returns_heap(void *arg) {
	(void)arg;
	long *p = malloc(sizeof *p);
	*p = 123456789;
	return p;
}

static void *blocks(void *arg) {
	int fd = *(int *)arg;
	char c;
	for (;;)
		read(fd, &c, 1); // a cancellation point
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_t t;
	void *ret;
	pthread_create(&t, NULL, returns, (void *)14L);
	pthread_join(t, &ret);
	printf("returned: %ld\n", (long)ret);
	pthread_create(&t, NULL, exits_nested, NULL);
	pthread_join(t, &ret);
	printf("pthread_exit from depth 5: %ld\n", (long)ret);
	pthread_create(&t, NULL, returns_heap, NULL);
	pthread_join(t, &ret);
	printf("heap result: %ld\n", *(long *)ret);
	free(ret);

	int p[2];
	pipe(p);
	pthread_create(&t, NULL, blocks, &p[0]);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancelled: %s\n", ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "something else");
	close(p[0]);
	close(p[1]);
	return ret == PTHREAD_CANCELED ? 0 : 1;
}
