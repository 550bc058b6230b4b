// tgkill_self: the raw tgkill and tkill syscalls. Main signals itself, a
// thread signals itself, and the thread signals main by tid; an SA_SIGINFO
// handler checks that each signal arrives in the thread that was named,
// with si_code SI_TKILL and the sender's pid.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile long handled_tid;
static volatile int handled_code, handled_pid_ok, count;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	handled_tid = syscall(SYS_gettid);
	handled_code = si->si_code;
	handled_pid_ok = si->si_pid == getpid();
	count++;
}

static long main_tid;
static int thread_self_ok, thread_to_main_sent;

static void *worker(void *arg) {
	(void)arg;
	long me = syscall(SYS_gettid);
	syscall(SYS_tgkill, getpid(), me, SIGUSR1);
	thread_self_ok = handled_tid == me && handled_code == SI_TKILL;
	syscall(SYS_tkill, me, SIGUSR1);
	thread_self_ok &= handled_tid == me && count == 3;
	// Main has SIGUSR1 blocked: it stays pending there.
	thread_to_main_sent = syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1) == 0;
	return NULL;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	main_tid = syscall(SYS_gettid);

	syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
	int main_ok = handled_tid == main_tid && handled_code == SI_TKILL && handled_pid_ok;
	printf("main to itself: in main %d, SI_TKILL %d, si_pid ok %d\n", handled_tid == main_tid,
	       handled_code == SI_TKILL, handled_pid_ok);

	// Main blocks SIGUSR1 until it has joined the thread, which starts with
	// nothing blocked.
	sigset_t s, none;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigemptyset(&none);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &none);
	pthread_t t;
	pthread_create(&t, &attr, worker, NULL);
	pthread_join(t, NULL);
	printf("thread to itself (tgkill, tkill): %d\n", thread_self_ok);
	handled_tid = 0;
	pthread_sigmask(SIG_UNBLOCK, &s, NULL); // the pending one arrives here
	printf("thread to main: sent %d, arrived in main %d\n", thread_to_main_sent,
	       handled_tid == main_tid);
	printf("signals handled: %d\n", count);
	return main_ok && thread_self_ok && handled_tid == main_tid && count == 4 ? 0 : 1;
}
