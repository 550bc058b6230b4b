// sigint_handler: installs a SIGINT handler, then waits for SIGINT and
// prints "got SIGINT" and how many arrived, and exits 0. With no argument
// it sends itself the signal (so it runs on its own); with "wait N" it
// prints "ready" and waits up to N seconds for one from outside (exit 1
// if none comes), the case of Ctrl-C or kill -INT reaching rewind record.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t count;

static void on_sigint(int sig) {
	(void)sig;
	count++;
}

// nap sleeps ms milliseconds or until a signal arrives.
static void nap(long ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0) {
		perror("sigaction");
		return 2;
	}
	if (argc > 2 && strcmp(argv[1], "wait") == 0) {
		long limit = atol(argv[2]) * 100;
		printf("ready\n");
		fflush(stdout);
		for (long i = 0; i < limit && count == 0; i++)
			nap(10);
		if (count == 0) {
			printf("no SIGINT\n");
			return 1;
		}
	} else {
		kill(getpid(), SIGINT);
	}
	// A moment for a duplicate to arrive: it must not.
	nap(200);
	printf("got SIGINT (%d)\n", (int)count);
	return 0;
}
