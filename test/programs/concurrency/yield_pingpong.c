// yield_pingpong: two threads take turns through an atomic turn variable,
// waiting with sched_yield() instead of a futex. Progress needs the
// scheduler to switch threads on sched_yield (or preempt).
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define ROUNDS 500

static atomic_int turn;
static long log_sum[2];

static void *player(void *arg) {
	int me = (int)(long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		while (atomic_load(&turn) % 2 != me)
			sched_yield();
		log_sum[me] += atomic_load(&turn);
		atomic_fetch_add(&turn, 1);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_t a, b;
	pthread_create(&a, NULL, player, (void *)0L);
	pthread_create(&b, NULL, player, (void *)1L);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("turns: %d\n", atomic_load(&turn));
	printf("even player saw sum %ld, odd player %ld\n", log_sum[0], log_sum[1]);
	return atomic_load(&turn) == 2 * ROUNDS && log_sum[0] == 249500 && log_sum[1] == 250000
	           ? 0
	           : 1;
}
