// sched_getaffinity: CPU affinity. The process may run on at least one CPU;
// a thread pins itself to the first allowed CPU, then finds itself running
// there (sched_getcpu) and its mask holding only that CPU; main's mask is
// unchanged.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static int first_cpu = -1, pinned_count, ran_on = -2;

static void *pinned(void *arg) {
	(void)arg;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(first_cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0)
		return NULL;
	sched_yield();
	ran_on = sched_getcpu();
	cpu_set_t now;
	sched_getaffinity(0, sizeof now, &now);
	pinned_count = CPU_COUNT(&now);
	return NULL;
}

int main(void) {
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) != 0) {
		perror("sched_getaffinity");
		return 2;
	}
	int n = CPU_COUNT(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			first_cpu = i;
			break;
		}
	printf("allowed CPUs: at least one %d\n", n >= 1);
	pthread_t t;
	pthread_create(&t, NULL, pinned, NULL);
	pthread_join(t, NULL);
	printf("pinned thread: mask has 1 CPU %d, runs on it %d\n", pinned_count == 1,
	       ran_on == first_cpu);
	cpu_set_t after;
	sched_getaffinity(0, sizeof after, &after);
	printf("main's mask unchanged: %d\n", CPU_EQUAL(&set, &after));
	return n >= 1 && pinned_count == 1 && ran_on == first_cpu && CPU_EQUAL(&set, &after) ? 0 : 1;
}
