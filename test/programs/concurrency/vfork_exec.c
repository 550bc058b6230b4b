// vfork_exec: vfork followed by execve. The parent is suspended until the
// child execs; the child (sharing the parent's memory until then) execs
// /bin/echo, whose output goes to the shared stdout; then a vfork child that
// exits with _exit(5) without exec.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	alarm(5);
	printf("parent: before vfork\n");
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		char *argv[] = {"echo", "child: hello from /bin/echo after vfork", NULL};
		char *envp[] = {NULL};
		execve("/bin/echo", argv, envp);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("parent: echo exited %d\n", WEXITSTATUS(st));

	pid = vfork();
	if (pid == 0)
		_exit(5);
	int st2;
	waitpid(pid, &st2, 0);
	printf("parent: second child exited %d\n", WEXITSTATUS(st2));
	return WEXITSTATUS(st) == 0 && WEXITSTATUS(st2) == 5 ? 0 : 1;
}
