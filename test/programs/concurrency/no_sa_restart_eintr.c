// no_sa_restart_eintr: a handler installed without SA_RESTART makes a
// blocked read() fail with EINTR. A thread keeps sending SIGUSR1 to main
// until main reports the EINTR (so the signal surely lands while main is
// blocked, whatever the timing), then writes, and main's next read gets the
// data.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int p[2];
static pthread_t main_thread;
static volatile sig_atomic_t handled;
static volatile int saw_eintr;

static void on_usr1(int sig) {
	(void)sig;
	handled++;
}

static void *interrupter(void *arg) {
	(void)arg;
	for (int i = 0; i < 2000 && !saw_eintr; i++) {
		pthread_kill(main_thread, SIGUSR1);
		struct timespec ts = {0, 2 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	write(p[1], "late", 4);
	return NULL;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pipe(p);
	main_thread = pthread_self();
	pthread_t t;
	pthread_create(&t, NULL, interrupter, NULL);
	char buf[16] = {0};
	ssize_t n;
	int eintr = 0;
	while ((n = read(p[0], buf, sizeof buf - 1)) < 0 && errno == EINTR) {
		eintr++;
		saw_eintr = 1;
	}
	pthread_join(t, NULL);
	printf("first read failed with EINTR: %d\n", eintr >= 1);
	printf("handler ran: %d\n", handled >= 1);
	printf("a later read returned %zd \"%s\"\n", n, buf);
	return eintr >= 1 && n == 4 ? 0 : 1;
}
