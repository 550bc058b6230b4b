// wait_status_signaled: children that die from signals, as wait's status
// describes them: SIGKILL sent by the parent, SIGSEGV from a bad memory
// access, SIGABRT from abort(), and SIGTERM the child sends itself. Core
// dumps are turned off (RLIMIT_CORE 0) so nothing is left behind.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int died_by(pid_t pid) {
	int st;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : -WEXITSTATUS(st);
}

int main(void) {
	alarm(5);
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	fflush(stdout);

	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	kill(p, SIGKILL);
	int a = died_by(p);
	printf("killed by parent: signal %d (SIGKILL %d)\n", a, SIGKILL);

	p = fork();
	if (p == 0) {
		volatile int *bad = (int *)16;
		*bad = 1;
		_exit(0);
	}
	int b = died_by(p);
	printf("bad access: signal %d (SIGSEGV %d)\n", b, SIGSEGV);

	p = fork();
	if (p == 0)
		abort();
	int c = died_by(p);
	printf("abort: signal %d (SIGABRT %d)\n", c, SIGABRT);

	p = fork();
	if (p == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	int d = died_by(p);
	printf("raise(SIGTERM): signal %d (SIGTERM %d)\n", d, SIGTERM);
	return a == SIGKILL && b == SIGSEGV && c == SIGABRT && d == SIGTERM ? 0 : 1;
}
