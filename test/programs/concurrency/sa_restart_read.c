// sa_restart_read: SA_RESTART. Main blocks in read() on an empty pipe; a
// thread interrupts it with SIGUSR1 (handler installed with SA_RESTART),
// waits for the handler to have run, and only then writes. The kernel
// restarts the read, which returns the data rather than failing with EINTR.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int p[2];
static pthread_t main_thread;
static volatile sig_atomic_t handled;

static void on_usr1(int sig) {
	(void)sig;
	handled++;
}

static void *interrupter(void *arg) {
	(void)arg;
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL); // most likely main is in read by now
	pthread_kill(main_thread, SIGUSR1);
	while (!handled)
		sched_yield();
	write(p[1], "data", 4);
	return NULL;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pipe(p);
	main_thread = pthread_self();
	pthread_t t;
	pthread_create(&t, NULL, interrupter, NULL);
	char buf[16] = {0};
	errno = 0;
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	int e = errno;
	pthread_join(t, NULL);
	printf("read returned %zd \"%s\" after %d signal(s), errno %s\n", n, buf, (int)handled,
	       e == 0 ? "untouched" : strerror(e));
	return n == 4 && handled == 1 ? 0 : 1;
}
