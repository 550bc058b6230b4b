// sigwaitinfo: taking signals synchronously instead of through handlers.
// With SIGUSR1, SIGUSR2 and SIGRTMIN blocked: two standard signals pending
// at once come out lowest number first; a thread's sigqueue reaches main's
// sigwaitinfo with its value; sigtimedwait with nothing pending times out
// with EAGAIN.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void *sender(void *arg) {
	(void)arg;
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
	union sigval v = {.sival_int = 7};
	sigqueue(getpid(), SIGRTMIN, v);
	return NULL;
}

int main(void) {
	alarm(5);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL); // the thread inherits it

	raise(SIGUSR2);
	raise(SIGUSR1);
	siginfo_t si;
	int a = sigwaitinfo(&set, &si);
	int b = sigwaitinfo(&set, &si);
	printf("pending USR2 then USR1, taken: %s then %s\n", a == SIGUSR1 ? "SIGUSR1" : "?",
	       b == SIGUSR2 ? "SIGUSR2" : "?");

	pthread_t t;
	pthread_create(&t, NULL, sender, NULL);
	int c = sigwaitinfo(&set, &si);
	pthread_join(t, NULL);
	printf("from a thread: SIGRTMIN %d, SI_QUEUE %d, value %d, si_pid ok %d\n", c == SIGRTMIN,
	       si.si_code == SI_QUEUE, si.si_value.sival_int, si.si_pid == getpid());

	struct timespec ts = {0, 5 * 1000 * 1000};
	int d = sigtimedwait(&set, &si, &ts);
	printf("nothing pending: %d %s\n", d, errno == EAGAIN ? "EAGAIN" : "?");
	return a == SIGUSR1 && b == SIGUSR2 && c == SIGRTMIN && si.si_value.sival_int == 7 && d < 0
	           ? 0
	           : 1;
}
