// timer_create_signal: POSIX timers. A CLOCK_MONOTONIC timer with
// SIGEV_SIGNAL delivers SIGRTMIN with si_code SI_TIMER and the sival_int
// given at creation, periodically, three times; a second timer with
// SIGEV_THREAD_ID targets one specific thread.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile sig_atomic_t fired, bad_info;
static volatile long in_tid;

static void on_timer(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	if (si->si_code != SI_TIMER || si->si_value.sival_int != 42)
		bad_info = 1;
	fired++;
}

static void on_thread_timer(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	if (si->si_code == SI_TIMER && si->si_value.sival_int == 7)
		in_tid = syscall(SYS_gettid);
}

static volatile long target_tid;

static void *target(void *arg) {
	(void)arg;
	target_tid = syscall(SYS_gettid);
	sigset_t none;
	sigemptyset(&none);
	while (!in_tid)
		sigsuspend(&none);
	return NULL;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);
	sa.sa_sigaction = on_thread_timer;
	sigaction(SIGRTMIN + 1, &sa, NULL);

	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGRTMIN);
	sigaddset(&block, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &block, &old);

	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 42;
	timer_t t;
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0) {
		perror("timer_create");
		return 2;
	}
	struct itimerspec its = {{0, 3000000}, {0, 3000000}};
	timer_settime(t, 0, &its, NULL);
	while (fired < 3)
		sigsuspend(&old);
	timer_delete(t);
	printf("SIGEV_SIGNAL: fired %d times, si_code SI_TIMER and value 42: %d\n", (int)fired,
	       !bad_info);

	pthread_t th;
	pthread_create(&th, NULL, target, NULL); // inherits the blocked mask
	while (!target_tid)
		sched_yield();
	struct sigevent tev = {0};
	tev.sigev_notify = SIGEV_THREAD_ID;
	tev.sigev_signo = SIGRTMIN + 1;
	tev.sigev_value.sival_int = 7;
	tev.sigev_notify_thread_id = (pid_t)target_tid;
	timer_t t2;
	timer_create(CLOCK_MONOTONIC, &tev, &t2);
	struct itimerspec once = {{0, 0}, {0, 2000000}};
	timer_settime(t2, 0, &once, NULL);
	pthread_join(th, NULL);
	timer_delete(t2);
	printf("SIGEV_THREAD_ID: handled in the target thread: %d\n", in_tid == target_tid);
	return fired >= 3 && !bad_info && in_tid == target_tid ? 0 : 1;
}
