// fork_with_threads: fork while three other threads are busy computing (no
// syscalls). Only the forking thread exists in the child, which still sees
// the memory the others wrote before the fork, can use malloc and stdio (glibc
// resets their locks), and exits; then the parent stops the workers.
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS 3

static atomic_int stop, started;
static volatile long progress[NTHREADS];

static void *worker(void *arg) {
	long i = (long)arg;
	progress[i] = 1;
	atomic_fetch_add(&started, 1);
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		progress[i]++;
	return NULL;
}

static int count_tasks(void) {
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(void) {
	alarm(5);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	while (atomic_load(&started) < NTHREADS)
		sched_yield();
	printf("parent: tasks before fork: %d\n", count_tasks());
	pid_t pid = fork();
	if (pid == 0) {
		int saw = 1;
		for (int i = 0; i < NTHREADS; i++)
			saw &= progress[i] >= 1;
		char *p = malloc(1000);
		strcpy(p, "malloc works");
		printf("child: tasks %d, saw the workers' writes %d, %s\n", count_tasks(), saw, p);
		free(p);
		exit(count_tasks() == 1 && saw ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	atomic_store(&stop, 1);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("parent: child exited %d, workers stopped\n", WEXITSTATUS(st));
	return WEXITSTATUS(st);
}
