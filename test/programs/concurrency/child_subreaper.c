// child_subreaper: PR_SET_CHILD_SUBREAPER. With it set, a grandchild whose
// parent exits is reparented to us rather than to init, so we can wait for
// it and collect its exit status.
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	alarm(5);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int on = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &on);
	printf("subreaper: %d\n", on);
	int p[2];
	pipe(p);
	pid_t me = getpid();
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		pid_t middle = getpid();
		pid_t g = fork();
		if (g == 0) {
			while (getppid() == middle) {
				struct timespec ts = {0, 1000 * 1000};
				nanosleep(&ts, NULL);
			}
			_exit(getppid() == me ? 33 : 34);
		}
		write(p[1], &g, sizeof g);
		_exit(0);
	}
	close(p[1]);
	pid_t grandchild = 0;
	read(p[0], &grandchild, sizeof grandchild);
	int st;
	waitpid(child, &st, 0);
	printf("child exited %d\n", WEXITSTATUS(st));
	pid_t got = waitpid(-1, &st, 0);
	printf("then reaped the grandchild: %d, status %d\n", got == grandchild, WEXITSTATUS(st));
	return got == grandchild && WEXITSTATUS(st) == 33 ? 0 : 1;
}
