// sigchld_handler: reaping children from a SIGCHLD handler. Five children
// exit with different codes; the SA_SIGINFO handler reaps with
// waitpid(WNOHANG) in a loop (several exits can merge into one SIGCHLD)
// while main waits in sigsuspend.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 5

static volatile sig_atomic_t reaped, status_sum, handler_calls, code_ok = 1;

static void on_chld(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	handler_calls++;
	if (si->si_code != CLD_EXITED)
		code_ok = 0;
	int st;
	while (waitpid(-1, &st, WNOHANG) > 0) {
		reaped++;
		status_sum += WEXITSTATUS(st);
	}
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		if (fork() == 0)
			_exit(10 + i);
	}
	while (reaped < N)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("reaped %d children from the handler, status sum %d\n", (int)reaped,
	       (int)status_sum);
	printf("handler called at least once: %d, si_code CLD_EXITED: %d\n", handler_calls >= 1,
	       (int)code_ok);
	return reaped == N && status_sum == 60 ? 0 : 1;
}
