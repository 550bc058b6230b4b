// thread_stack_attr: thread stacks chosen by the program. One thread gets a
// 256 KiB stack through pthread_attr_setstacksize, another runs on an
// mmap'd region handed over with pthread_attr_setstack; each checks that
// its locals live inside the stack pthread_getattr_np reports.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>

#define SIZE (256 * 1024)

static int inside[2];
static size_t reported[2];
static void *base[2];

static void *worker(void *arg) {
	long i = (long)arg;
	volatile char local[4096];
	local[0] = 1;
	pthread_attr_t a;
	pthread_getattr_np(pthread_self(), &a);
	void *addr;
	size_t size;
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	reported[i] = size;
	base[i] = addr;
	inside[i] = (char *)local >= (char *)addr && (char *)local < (char *)addr + size;
	return NULL;
}

int main(void) {
	pthread_attr_t a;
	pthread_t t;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, SIZE);
	pthread_create(&t, &a, worker, (void *)0L);
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	printf("setstacksize: locals inside %d, size at least 256 KiB %d\n", inside[0],
	       reported[0] >= SIZE);

	void *stack = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		return 2;
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, stack, SIZE);
	pthread_create(&t, &a, worker, (void *)1L);
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	munmap(stack, SIZE);
	printf("setstack: locals inside %d, our region %d, size %zu\n", inside[1], base[1] == stack,
	       reported[1]);
	return inside[0] && inside[1] && base[1] == stack && reported[1] == SIZE ? 0 : 1;
}
