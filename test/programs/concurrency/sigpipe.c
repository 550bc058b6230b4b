// sigpipe: writing to a pipe nobody reads. With SIGPIPE ignored write fails
// with EPIPE; with a handler the handler runs and write fails with EPIPE;
// with the default action a child is killed by SIGPIPE.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_pipe(int sig) { caught = sig; }

static int write_to_closed(void) {
	int p[2];
	pipe(p);
	close(p[0]);
	errno = 0;
	int r = (int)write(p[1], "x", 1);
	int e = errno;
	close(p[1]);
	return r < 0 && e == EPIPE;
}

int main(void) {
	alarm(5);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		write_to_closed();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("default: child killed by SIGPIPE %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);

	signal(SIGPIPE, SIG_IGN);
	printf("ignored: EPIPE %d\n", write_to_closed());

	signal(SIGPIPE, on_pipe);
	int epipe = write_to_closed();
	printf("handled: EPIPE %d, handler saw signal %d\n", epipe, (int)caught);
	return WIFSIGNALED(st) && caught == SIGPIPE && epipe ? 0 : 1;
}
