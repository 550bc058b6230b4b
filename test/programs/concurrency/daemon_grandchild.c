// daemon_grandchild: the double fork of a daemon. The child forks a
// grandchild and exits at once; the grandchild calls setsid, waits until it
// has been reparented (to init or a subreaper), and writes to a pipe that
// the original process reads until EOF after reaping the child.
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	alarm(5);
	int p[2];
	pipe(p);
	pid_t original = getpid();
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		pid_t middle = getpid();
		if (fork() == 0) {
			close(p[0]);
			setsid();
			int waited = 0;
			while (getppid() == middle && waited < 3000) {
				struct timespec ts = {0, 1000 * 1000};
				nanosleep(&ts, NULL);
				waited++;
			}
			char msg[128];
			int n = snprintf(msg, sizeof msg,
			                 "grandchild: reparented %d, not to the original %d, own session %d",
			                 getppid() != middle, getppid() != original, getsid(0) == getpid());
			write(p[1], msg, n);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	int st;
	waitpid(child, &st, 0);
	printf("middle child exited %d\n", WEXITSTATUS(st));
	char buf[256];
	size_t n = 0;
	ssize_t k;
	while ((k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += k;
	buf[n] = 0;
	printf("%s\n", buf);
	return strstr(buf, "reparented 1, not to the original 1, own session 1") ? 0 : 1;
}
