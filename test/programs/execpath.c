// execpath: execve calls that fail for want of their file, as a command
// looked up along PATH does (ENOENT, ENOTDIR), one that fails otherwise
// (EACCES, a file that is not executable), and a lookup along PATH that
// finds its command after failing in the first directories.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void try(const char *path) {
	char *argv[] = {(char *)path, NULL}, *envp[] = {NULL};
	execve(path, argv, envp);
	printf("execve %s: %s\n", path, strerror(errno));
}

int main(void) {
	try("/nonexistent-dir/prog");
	try("/etc/passwd/prog"); // a file where a directory should be
	try("/etc/passwd");      // not executable
	fflush(stdout);
	setenv("PATH", "/nonexistent-a:/etc/passwd:/nonexistent-b:/usr/bin:/bin", 1);
	pid_t pid = fork();
	if (pid == 0) {
		execlp("true", "true", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("true along PATH: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
