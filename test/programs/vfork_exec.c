// vfork_exec: a vfork child that execs /bin/true, and a parent that waits
// for it. Prints the child's status.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	pid_t pid = vfork();
	if (pid == 0) {
		char *args[] = {"true", NULL};
		execv("/bin/true", args);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exited %d\n", WEXITSTATUS(st));
	return 0;
}
