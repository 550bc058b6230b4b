// Three processes writing lines to the same stdout at the same time: the
// lines interleave differently on every run, and a replay must print
// them in the order the recording did (rewind records processes side by
// side, and lets one write to its output at a time).
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 300;
	for (int k = 0; k < 3; k++) {
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			return 1;
		}
		if (p == 0) {
			char line[64];
			for (int i = 0; i < n; i++) {
				int len = snprintf(line, sizeof line, "line: child %d %d\n", k, i);
				if (write(1, line, (size_t)len) != len)
					_exit(1);
			}
			_exit(0);
		}
	}
	int status, failed = 0;
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	return failed;
}
