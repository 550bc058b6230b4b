// setitimer_alarm: a periodic ITIMER_REAL timer (5 ms) delivering SIGALRM
// to a handler while main waits in sigsuspend, five times; then the timer
// is disarmed and getitimer reports it off.
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;

static void on_alrm(int sig) {
	(void)sig;
	ticks++;
}

int main(void) {
	alarm(5); // replaced by setitimer below; the safety net is the loop bound
	struct sigaction sa = {0};
	sa.sa_handler = on_alrm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct itimerval it = {{0, 5000}, {0, 5000}};
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 1000 && ticks < 5; i++)
		sigsuspend(&old);
	// Counted here: a slow run (a recording) may have one more expiry
	// pending by the time the timer is off, delivered as it is unblocked.
	int seen = ticks;
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	struct itimerval now;
	getitimer(ITIMER_REAL, &now);
	printf("SIGALRM ticks: %d\n", seen);
	printf("disarmed: %d\n", now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);
	return seen == 5 ? 0 : 1;
}
