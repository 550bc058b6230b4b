// signal_to_thread_in_futex: a signal for a thread blocked in a futex. A
// waiter sleeps in pthread_cond_wait, another in a raw FUTEX_WAIT; each gets
// a SIGUSR1 through pthread_kill, runs the handler, and (SA_RESTART, and
// glibc's retry loop) goes back to waiting until the real wake-up comes.
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static __thread int who;
static volatile sig_atomic_t handled_in[3];

static void on_usr1(int sig) {
	(void)sig;
	handled_in[who]++;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int value, cond_waiting;
static atomic_int word, futex_waiter_ready;

static void *cond_waiter(void *arg) {
	(void)arg;
	who = 1;
	pthread_mutex_lock(&m);
	cond_waiting = 1;
	while (value == 0)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void *futex_waiter(void *arg) {
	(void)arg;
	who = 2;
	atomic_store(&futex_waiter_ready, 1);
	while (atomic_load(&word) == 0)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void sleep_ms(long n) {
	struct timespec ts = {0, n * 1000 * 1000};
	nanosleep(&ts, NULL);
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	pthread_t a, b;
	pthread_create(&a, NULL, cond_waiter, NULL);
	pthread_create(&b, NULL, futex_waiter, NULL);
	// Until the cond waiter released the mutex inside pthread_cond_wait and
	// the futex waiter is about to wait: a handler must know whose it is.
	for (;;) {
		pthread_mutex_lock(&m);
		int w = cond_waiting;
		pthread_mutex_unlock(&m);
		if (w && atomic_load(&futex_waiter_ready))
			break;
		sleep_ms(1);
	}
	sleep_ms(10);
	pthread_kill(a, SIGUSR1);
	pthread_kill(b, SIGUSR1);
	while (!handled_in[1] || !handled_in[2])
		sleep_ms(1);
	sleep_ms(5); // let them go back to sleep
	pthread_mutex_lock(&m);
	value = 42;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	atomic_store(&word, 1);
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("cond waiter: handler ran there %d time(s), woke with value %d\n", (int)handled_in[1],
	       value);
	printf("futex waiter: handler ran there %d time(s), woke with word %d\n", (int)handled_in[2],
	       atomic_load(&word));
	printf("handler ran in main: %d\n", (int)handled_in[0]);
	return handled_in[1] == 1 && handled_in[2] == 1 && handled_in[0] == 0 ? 0 : 1;
}
