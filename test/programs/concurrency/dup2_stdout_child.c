// dup2_stdout_child: redirecting a child's standard output. The child
// dup2s a pipe onto fd 1, prints with stdio and then execs /bin/echo, which
// inherits the redirection; the parent reads everything from the pipe and
// prints it, while its own stdout was never touched.
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	alarm(5);
	int p[2];
	pipe(p);
	printf("parent: before fork\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		close(p[1]);
		printf("child printf into the pipe\n");
		fflush(stdout);
		execl("/bin/echo", "echo", "echo into the pipe", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[256];
	size_t n = 0;
	ssize_t k;
	while ((k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += k;
	buf[n] = 0;
	int st;
	waitpid(pid, &st, 0);
	printf("parent: child exited %d, pipe carried %zu bytes:\n%s", WEXITSTATUS(st), n, buf);
	return strcmp(buf, "child printf into the pipe\necho into the pipe\n") == 0 ? 0 : 1;
}
