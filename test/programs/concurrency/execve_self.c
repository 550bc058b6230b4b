// execve_self: a program that re-executes itself through /proc/self/exe,
// twice, passing its state along in argv and the environment. The pid stays
// the same across exec; stage 3 exits with 3.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
	alarm(5);
	if (argc == 1) {
		printf("stage 1\n");
		fflush(stdout);
		char pid[32];
		snprintf(pid, sizeof pid, "%d", getpid());
		char *args[] = {argv[0], "stage2", pid, NULL};
		char *envp[] = {"REWIND_STAGE_NOTE=set by stage 1", NULL};
		execve("/proc/self/exe", args, envp);
		perror("execve");
		return 1;
	}
	int same_pid = atoi(argv[2]) == getpid();
	if (strcmp(argv[1], "stage2") == 0) {
		const char *note = getenv("REWIND_STAGE_NOTE");
		printf("stage 2: same pid %d, env \"%s\"\n", same_pid, note ? note : "(none)");
		fflush(stdout);
		char *args[] = {argv[0], "stage3", argv[2], NULL};
		execv("/proc/self/exe", args); // keeps the environment
		perror("execv");
		return 1;
	}
	const char *note = getenv("REWIND_STAGE_NOTE");
	printf("stage 3: same pid %d, env kept %d, argc %d\n", same_pid, note != NULL, argc);
	return same_pid ? 3 : 1;
}
