// posix_spawn: glibc's posix_spawn (a CLONE_VM|CLONE_VFORK clone running on
// a separate stack, then exec). Spawns /bin/echo with its stdout redirected
// to a pipe by a file action and reads what it printed, then spawns /bin/sh
// to exit 3, and a program that does not exist (ENOENT).
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void) {
	alarm(5);
	int p[2];
	pipe(p);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	pid_t pid;
	char *echo_argv[] = {"echo", "spawned", "echo", NULL};
	int r = posix_spawn(&pid, "/bin/echo", &fa, NULL, echo_argv, environ);
	close(p[1]);
	char buf[128] = {0};
	size_t n = 0;
	ssize_t k;
	while ((k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += k;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	printf("echo: spawn %d, exit %d, said: %s", r, WEXITSTATUS(st), buf);

	char *sh_argv[] = {"sh", "-c", "exit 3", NULL};
	r = posix_spawnp(&pid, "sh", NULL, NULL, sh_argv, environ);
	waitpid(pid, &st, 0);
	printf("sh: spawn %d, exit %d\n", r, WEXITSTATUS(st));

	char *none_argv[] = {"none", NULL};
	r = posix_spawn(&pid, "/nonexistent/rewind-none", NULL, NULL, none_argv, environ);
	printf("missing program: %s\n", r == ENOENT ? "ENOENT" : strerror(r));
	posix_spawn_file_actions_destroy(&fa);
	return strcmp(buf, "spawned echo\n") == 0 && WEXITSTATUS(st) == 3 && r == ENOENT ? 0 : 1;
}
