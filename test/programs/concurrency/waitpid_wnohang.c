// waitpid_wnohang: polling for a child with WNOHANG. While the child sleeps
// waitpid returns 0; the parent keeps polling with short sleeps until the
// child's status arrives.
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	alarm(5);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		_exit(6);
	}
	int st = 0, polls = 0;
	pid_t r;
	while ((r = waitpid(pid, &st, WNOHANG)) == 0) {
		polls++;
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	printf("polled with nothing to report at least once: %d\n", polls > 0);
	printf("then got the child: %d, status %d\n", r == pid, WEXITSTATUS(st));
	return r == pid && polls > 0 && WEXITSTATUS(st) == 6 ? 0 : 1;
}
