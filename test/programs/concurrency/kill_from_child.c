// kill_from_child: a child signals its parent. The parent blocks SIGUSR1,
// forks, and waits in sigsuspend; the child sends kill(getppid(), SIGUSR1)
// and exits; the SA_SIGINFO handler sees si_code SI_USER and the child's
// pid as the sender.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile pid_t sender;
static volatile int code;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	got++;
	sender = si->si_pid;
	code = si->si_code;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	while (!got)
		sigsuspend(&old);
	int st;
	waitpid(pid, &st, 0);
	printf("parent got SIGUSR1 %d time(s), from the child %d, SI_USER %d\n", (int)got,
	       sender == pid, code == SI_USER);
	return got == 1 && sender == pid && code == SI_USER ? 0 : 1;
}
