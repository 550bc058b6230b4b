// killpg_children: signalling a whole process group. A child makes itself
// a group leader, forks three workers into its group, and sends SIGTERM to
// the group with kill(0, ...) while ignoring it itself; the workers die of
// it and the leader reports their statuses to us through its exit code.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 3

int main(void) {
	alarm(5);
	fflush(stdout);
	pid_t leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_IGN);
		int ready[2];
		pipe(ready);
		pid_t w[N];
		for (int i = 0; i < N; i++) {
			w[i] = fork();
			if (w[i] == 0) {
				signal(SIGTERM, SIG_DFL);
				write(ready[1], "r", 1);
				for (;;)
					pause();
			}
		}
		char c;
		for (int i = 0; i < N; i++)
			read(ready[0], &c, 1);
		int same_group = 1;
		for (int i = 0; i < N; i++)
			same_group &= getpgid(w[i]) == getpid();
		kill(0, SIGTERM);
		int killed = 0;
		for (int i = 0; i < N; i++) {
			int st;
			waitpid(w[i], &st, 0);
			killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
		}
		_exit(same_group ? killed : 100);
	}
	int st;
	waitpid(leader, &st, 0);
	printf("leader survived the group signal: %d\n", WIFEXITED(st));
	printf("workers killed by SIGTERM: %d of %d\n", WEXITSTATUS(st), N);
	return WIFEXITED(st) && WEXITSTATUS(st) == N ? 0 : 1;
}
