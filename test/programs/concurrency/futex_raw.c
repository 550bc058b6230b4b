// futex_raw: the futex syscall without libc's wrappers. FUTEX_WAIT on a
// word that does not hold the expected value (EAGAIN), a FUTEX_WAIT that
// times out (ETIMEDOUT), FUTEX_WAKE with nobody waiting, and two threads
// playing ping-pong through private futexes ROUNDS times.
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 200

static atomic_int word;

static long futex(atomic_int *uaddr, int op, int val, const struct timespec *ts) {
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

// wait_for blocks until word holds want.
static void wait_for(int want) {
	int v;
	while ((v = atomic_load(&word)) != want)
		futex(&word, FUTEX_WAIT_PRIVATE, v, NULL);
}

static void set_and_wake(int v) {
	atomic_store(&word, v);
	futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static void *pong(void *arg) {
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		wait_for(2 * i + 1);
		set_and_wake(2 * i + 2);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	atomic_store(&word, 5);
	long r = futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL);
	printf("wait on wrong value: %ld %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");

	struct timespec ts = {0, 5 * 1000 * 1000};
	r = futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts);
	printf("wait with timeout: %ld %s\n", r, errno == ETIMEDOUT ? "ETIMEDOUT" : "?");

	r = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL);
	printf("wake with no waiters: %ld\n", r);

	atomic_store(&word, 0);
	pthread_t t;
	pthread_create(&t, NULL, pong, NULL);
	for (int i = 0; i < ROUNDS; i++) {
		set_and_wake(2 * i + 1);
		wait_for(2 * i + 2);
	}
	pthread_join(t, NULL);
	printf("ping-pong rounds: %d, final word: %d\n", ROUNDS, atomic_load(&word));
	return atomic_load(&word) == 2 * ROUNDS ? 0 : 1;
}
