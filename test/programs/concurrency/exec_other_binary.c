// exec_other_binary: execve of other programs. A forked child execs
// /bin/true and one execs /bin/echo with arguments and a custom environment;
// at the end the process itself execs /bin/echo, so its last line and its
// exit status come from echo.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char *const argv[]) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *envp[] = {"REWIND_FROM=exec_other_binary", NULL};
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void) {
	alarm(5);
	char *t[] = {"/bin/true", NULL};
	printf("/bin/true exited %d\n", run(t));
	char *e[] = {"/bin/echo", "-n", "echo in a child;", NULL};
	int code = run(e);
	printf(" exited %d\n", code);
	char *missing[] = {"/nonexistent/rewind-missing", NULL};
	printf("missing binary: child exited %d\n", run(missing));
	printf("now replacing myself with /bin/echo\n");
	fflush(stdout);
	char *last[] = {"echo", "last words from echo, pid unchanged", NULL};
	execv("/bin/echo", last);
	perror("execv");
	return 1;
}
