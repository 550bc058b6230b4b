// env: the process's starting state that recording must pass through.
// Prints argc and argv, getenv("REWIND_TEST_VAR") and the current directory.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
	printf("argc: %d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]: %s\n", i, argv[i]);
	const char *v = getenv("REWIND_TEST_VAR");
	printf("REWIND_TEST_VAR: %s\n", v ? v : "(unset)");
	char cwd[PATH_MAX];
	printf("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "(error)");
	return 0;
}
