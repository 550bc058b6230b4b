// zombie_reap_order: zombies wait to be reaped in any order the parent
// likes. Three children exit at once; the parent waits (with WNOWAIT, which
// leaves them zombies) until all have exited, checks /proc shows them as
// zombies (state Z), then reaps them newest first with waitpid(pid).
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 3

static char proc_state(pid_t pid) {
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return '?';
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

int main(void) {
	alarm(5);
	pid_t pids[N];
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(20 + i);
	}
	for (int i = 0; i < N; i++) {
		siginfo_t si;
		waitid(P_PID, pids[i], &si, WEXITED | WNOWAIT);
	}
	int zombies = 0;
	for (int i = 0; i < N; i++)
		zombies += proc_state(pids[i]) == 'Z';
	printf("zombies before reaping: %d\n", zombies);
	int ok = zombies == N;
	for (int i = N - 1; i >= 0; i--) {
		int st;
		pid_t got = waitpid(pids[i], &st, 0);
		printf("reaped child %d: right pid %d, status %d, gone from /proc %d\n", i,
		       got == pids[i], WEXITSTATUS(st), proc_state(pids[i]) == '?');
		ok &= got == pids[i] && WEXITSTATUS(st) == 20 + i;
	}
	return ok ? 0 : 1;
}
