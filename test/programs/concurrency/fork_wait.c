// fork_wait: fork and waitpid. The child sees its parent's pid through
// getppid, its own new pid, a copy of the parent's memory (its writes stay
// its own), and exits with 7; the parent reaps it with waitpid and reads
// the status.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int shared_before_fork = 10;

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		printf("child: ppid is the parent: %d, own pid differs: %d, sees %d\n",
		       getppid() == parent, getpid() != parent, shared_before_fork);
		shared_before_fork = 99;
		exit(7);
	}
	int st;
	pid_t got = waitpid(pid, &st, 0);
	printf("parent: waitpid returned the child: %d\n", got == pid);
	printf("parent: exited %d with %d, own copy still %d\n", WIFEXITED(st), WEXITSTATUS(st),
	       shared_before_fork);
	printf("parent: waitpid again: %d\n", (int)waitpid(pid, &st, 0));
	return WIFEXITED(st) && WEXITSTATUS(st) == 7 && shared_before_fork == 10 ? 0 : 1;
}
