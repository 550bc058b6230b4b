// sigmask_inherit_exec: signal state across execve. The blocked mask and
// ignored dispositions survive, handled signals reset to SIG_DFL, and a
// signal pending before exec is still pending after it, delivered once the
// new image installs a handler and unblocks it.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void handler(int sig) { got = sig; }

int main(int argc, char **argv) {
	alarm(5);
	if (argc == 2 && strcmp(argv[1], "after") == 0) {
		sigset_t mask, pending;
		sigprocmask(SIG_BLOCK, NULL, &mask);
		sigpending(&pending);
		struct sigaction usr2, hup;
		sigaction(SIGUSR2, NULL, &usr2);
		sigaction(SIGHUP, NULL, &hup);
		printf("after exec: SIGUSR1 blocked %d, pending %d\n", sigismember(&mask, SIGUSR1),
		       sigismember(&pending, SIGUSR1));
		printf("after exec: SIGUSR2 still ignored %d, SIGHUP handler reset to default %d\n",
		       usr2.sa_handler == SIG_IGN, hup.sa_handler == SIG_DFL);
		signal(SIGUSR1, handler);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		printf("after unblocking: delivered signal %d\n", (int)got);
		return got == SIGUSR1 && usr2.sa_handler == SIG_IGN && hup.sa_handler == SIG_DFL ? 0
		                                                                                 : 1;
	}
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGHUP, handler);
	raise(SIGUSR1);
	printf("before exec: SIGUSR1 raised while blocked, handler ran %d\n", got != 0);
	fflush(stdout);
	char *args[] = {argv[0], "after", NULL};
	execv("/proc/self/exe", args);
	perror("execv");
	return 1;
}
