// fork_many_children: sixteen children alive at once, each exiting with its
// index; the parent reaps them with wait() in whatever order they finish
// and checks that every status came back once. Then wait fails with ECHILD.
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 16

int main(void) {
	alarm(5);
	pid_t pids[N];
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 2;
		if (pids[i] == 0) {
			volatile long s = 0;
			for (long k = 0; k < 10000 * (N - i); k++)
				s += k;
			_exit(i);
		}
	}
	int seen[N] = {0}, sum = 0, reaped = 0;
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0)
			break;
		reaped++;
		int code = WEXITSTATUS(st);
		sum += code;
		if (code >= 0 && code < N && pids[code] == p)
			seen[code]++;
	}
	int each_once = 1;
	for (int i = 0; i < N; i++)
		each_once &= seen[i] == 1;
	printf("reaped %d children, status sum %d, each pid with its status once: %d\n", reaped, sum,
	       each_once);
	printf("then wait: %s\n", errno == ECHILD ? "ECHILD" : "?");
	return reaped == N && sum == N * (N - 1) / 2 && each_once ? 0 : 1;
}
