// exec_shebang_script: execve of a "#!/bin/sh" script, so the kernel runs
// the interpreter named in the script. The script is written to a fresh
// file under /tmp (mkstemp), made executable, run by a forked child with
// arguments, and removed afterwards; it prints its arguments and exits 9.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char script[] = "#!/bin/sh\n"
                             "echo \"script: $# args: $1 $2\"\n"
                             "exit 9\n";

int main(void) {
	alarm(5);
	char path[] = "/tmp/rewind-shebang-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	if (write(fd, script, strlen(script)) != (ssize_t)strlen(script) || fchmod(fd, 0700) != 0) {
		perror("write script");
		unlink(path);
		return 2;
	}
	close(fd);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {path, "first", "second", NULL};
		execv(path, argv);
		perror("execv");
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	unlink(path);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("script exited %d\n", code);
	printf("script removed: %d\n", access(path, F_OK) != 0);
	return code == 9 ? 0 : 1;
}
