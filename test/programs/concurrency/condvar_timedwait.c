// condvar_timedwait: pthread_cond_timedwait on a CLOCK_MONOTONIC condition
// variable. With nobody signalling it times out (ETIMEDOUT) no earlier than
// its deadline; signalled by another thread well before the deadline it
// returns 0 with the predicate true.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c;
static int ready;

static struct timespec after_ms(long ms) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

static int reached(const struct timespec *deadline) {
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static void *signaller(void *arg) {
	(void)arg;
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&m);
	ready = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c, &ca);

	pthread_mutex_lock(&m);
	struct timespec deadline = after_ms(20);
	int r;
	do
		r = pthread_cond_timedwait(&c, &m, &deadline);
	while (r == 0);
	pthread_mutex_unlock(&m);
	int late_enough = reached(&deadline);
	printf("unsignalled: %s, not before the deadline: %d\n", r == ETIMEDOUT ? "ETIMEDOUT" : "?",
	       late_enough);

	pthread_t t;
	pthread_create(&t, NULL, signaller, NULL);
	pthread_mutex_lock(&m);
	deadline = after_ms(3000);
	int r2 = 0;
	while (!ready && r2 == 0)
		r2 = pthread_cond_timedwait(&c, &m, &deadline);
	pthread_mutex_unlock(&m);
	pthread_join(t, NULL);
	printf("signalled: %d, ready %d\n", r2, ready);
	return r == ETIMEDOUT && late_enough && r2 == 0 && ready ? 0 : 1;
}
