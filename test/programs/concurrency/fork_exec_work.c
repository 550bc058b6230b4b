// fork_exec_work: the same function runs in three processes with different
// arguments: a forked child (no exec) calls child_work(10), a child that
// execs this program again ("exec" argument) calls child_work(30), and the
// parent calls child_work(5) once both children were started. The
// debugger tests select each child by its recorded pid (rewind replay -f
// and -p) and tell them apart by n.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long child_work(long n) {
	long sum = 0;
	for (long i = 1; i <= n; i++)
		sum += i * i; // LINE:work
	return sum;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		long r = child_work(30);
		printf("exec'd child: %ld\n", r);
		return (int)(r % 100); // 9455 % 100
	}
	alarm(5);
	pid_t forked = fork();
	if (forked == 0) {
		long r = child_work(10);
		printf("forked child: %ld\n", r);
		exit((int)(r % 100)); // 385 % 100
	}
	fflush(stdout);
	pid_t execd = fork();
	if (execd == 0) {
		execl(argv[0], argv[0], "exec", (char *)NULL);
		_exit(127);
	}
	long r = child_work(5);
	int st1, st2;
	waitpid(forked, &st1, 0);
	waitpid(execd, &st2, 0);
	printf("parent: %ld, forked child exited %d, exec'd child exited %d\n", r, WEXITSTATUS(st1),
	       WEXITSTATUS(st2));
	return 0;
}
