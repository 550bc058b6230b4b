// futex_requeue: FUTEX_CMP_REQUEUE. Three threads wait on futex word A;
// main changes A, then wakes one waiter and moves the rest onto word B with
// a single CMP_REQUEUE, then wakes B. A CMP_REQUEUE whose expected value is
// stale fails with EAGAIN. Whether a waiter was still waiting when the
// requeue came depends on timing, so only the outcome is printed.
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 3

static atomic_int a, b, waiting, released;

static long futex(atomic_int *uaddr, int op, int val, long val2, atomic_int *uaddr2, int val3) {
	return syscall(SYS_futex, uaddr, op, val, (void *)val2, uaddr2, val3);
}

static void *waiter(void *arg) {
	(void)arg;
	atomic_fetch_add(&waiting, 1);
	while (atomic_load(&a) == 0)
		futex(&a, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
	atomic_fetch_add(&released, 1);
	return NULL;
}

int main(void) {
	alarm(5);
	long r = futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, &b, 12345);
	printf("CMP_REQUEUE with a stale value: %ld %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");

	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, waiter, NULL);
	while (atomic_load(&waiting) < NTHREADS)
		sched_yield();
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL); // most likely all three are asleep on A now
	// Requeued waiters sleep on B but check A when woken, so A changes first.
	atomic_store(&a, 1);
	long moved = futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, &b, 1);
	long woken_b = futex(&b, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("CMP_REQUEUE woke or moved at most 3: %d, B wake at most 2: %d\n",
	       moved >= 0 && moved <= NTHREADS, woken_b >= 0 && woken_b <= NTHREADS - 1);
	printf("all %d waiters released: %d\n", NTHREADS, atomic_load(&released) == NTHREADS);
	return r < 0 && moved >= 0 && atomic_load(&released) == NTHREADS ? 0 : 1;
}
