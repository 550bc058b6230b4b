// alarm_pause: alarm() and pause(). alarm(30) then alarm(0) returns the
// seconds left of the first; then a short one-shot SIGALRM (ualarm, 20 ms)
// runs its handler and makes pause() return -1 with EINTR.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t rang;

static void on_alrm(int sig) {
	(void)sig;
	rang++;
}

int main(void) {
	unsigned first = alarm(30);
	unsigned left = alarm(0);
	printf("alarm(30) replaced none: %d, alarm(0) returned 29 or 30: %d\n", first == 0,
	       left == 29 || left == 30);
	signal(SIGALRM, on_alrm);
	ualarm(20000, 0);
	int r = pause();
	int e = errno;
	printf("pause returned %d %s after the alarm rang %d time(s)\n", r,
	       e == EINTR ? "EINTR" : "?", (int)rang);
	return r == -1 && e == EINTR && rang == 1 ? 0 : 1;
}
