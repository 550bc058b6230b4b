// pipe_between_processes: a two-stage pipeline of forked children joined by
// a pipe, like "producer | consumer": the producer's stdout is the pipe, the
// consumer's stdin is the pipe and its stdout is ours. The parent keeps no
// end open and waits for both.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	alarm(5);
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t producer = fork();
	if (producer == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		for (int i = 1; i <= 1000; i++)
			printf("%d\n", i);
		exit(0);
	}
	pid_t consumer = fork();
	if (consumer == 0) {
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		long sum = 0, lines = 0, v;
		while (scanf("%ld", &v) == 1) {
			sum += v;
			lines++;
		}
		printf("consumer: %ld lines, sum %ld\n", lines, sum);
		exit(sum == 500500 ? 0 : 1);
	}
	close(p[0]);
	close(p[1]);
	int s1, s2;
	waitpid(producer, &s1, 0);
	waitpid(consumer, &s2, 0);
	printf("producer exited %d, consumer exited %d\n", WEXITSTATUS(s1), WEXITSTATUS(s2));
	return WEXITSTATUS(s1) == 0 && WEXITSTATUS(s2) == 0 ? 0 : 1;
}
