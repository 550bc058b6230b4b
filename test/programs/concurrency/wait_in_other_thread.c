// wait_in_other_thread: children belong to the whole thread group. Main
// forks two children; a different thread reaps them (one it waits for by
// pid, one with wait(-1)), while main waits in pthread_join.
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t first, second;
static int st1, st2;
static pid_t got1, got2;

static void *reaper(void *arg) {
	(void)arg;
	got1 = waitpid(first, &st1, 0);
	got2 = wait(&st2);
	return NULL;
}

int main(void) {
	alarm(5);
	fflush(stdout);
	first = fork();
	if (first == 0)
		_exit(41);
	second = fork();
	if (second == 0)
		_exit(42);
	pthread_t t;
	pthread_create(&t, NULL, reaper, NULL);
	pthread_join(t, NULL);
	printf("thread reaped by pid: %d, status %d\n", got1 == first, WEXITSTATUS(st1));
	printf("thread reaped with wait(-1): %d, status %d\n", got2 == second, WEXITSTATUS(st2));
	return got1 == first && got2 == second && WEXITSTATUS(st1) == 41 && WEXITSTATUS(st2) == 42
	           ? 0
	           : 1;
}
