// raise: signals a program sends itself. Exercises an SA_SIGINFO handler for
// SIGUSR1 reached through raise() (tgkill: si_code SI_TKILL), another for
// SIGUSR2 reached through kill(getpid()) (si_code SI_USER), si_pid, and a
// signal that stays pending while blocked by sigprocmask and is delivered on
// unblock.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count, usr2_count;
static volatile int usr1_code, usr1_pid, usr2_code, usr2_pid;

static void on_usr1(int sig, siginfo_t *si, void *uctx) {
	(void)sig;
	(void)uctx;
	usr1_count++;
	usr1_code = si->si_code;
	usr1_pid = si->si_pid;
}

static void on_usr2(int sig, siginfo_t *si, void *uctx) {
	(void)sig;
	(void)uctx;
	usr2_count++;
	usr2_code = si->si_code;
	usr2_pid = si->si_pid;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *)) {
	struct sigaction sa = {0};
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

int main(void) {
	install(SIGUSR1, on_usr1);
	install(SIGUSR2, on_usr2);
	int pid = getpid();

	raise(SIGUSR1);
	printf("SIGUSR1 via raise: count=%d si_code=%d si_pid==getpid: %d\n", (int)usr1_count,
	       usr1_code, usr1_pid == pid);

	kill(pid, SIGUSR2);
	printf("SIGUSR2 via kill: count=%d si_code=%d si_pid==getpid: %d\n", (int)usr2_count,
	       usr2_code, usr2_pid == pid);

	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigpending(&pending);
	printf("blocked: SIGUSR1 pending=%d count=%d\n", sigismember(&pending, SIGUSR1),
	       (int)usr1_count);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	sigpending(&pending);
	printf("unblocked: SIGUSR1 pending=%d count=%d\n", sigismember(&pending, SIGUSR1),
	       (int)usr1_count);
	return 0;
}
