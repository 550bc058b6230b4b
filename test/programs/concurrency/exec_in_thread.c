// exec_in_thread: execve called by a thread that is not the main thread,
// while main waits in pthread_join and another thread sleeps. The kernel
// kills the other threads and the exec'ing thread takes over the process's
// pid; the new image starts single-threaded.
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *self_argv0;

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

static void *sleeper(void *arg) {
	(void)arg;
	struct timespec ts = {10, 0};
	nanosleep(&ts, NULL);
	return NULL;
}

static void *execer(void *arg) {
	(void)arg;
	char pid[32];
	snprintf(pid, sizeof pid, "%d", getpid());
	printf("thread: tasks before exec: %d\n", count_tasks());
	fflush(stdout);
	char *args[] = {self_argv0, "after", pid, NULL};
	execv("/proc/self/exe", args);
	perror("execv");
	exit(1);
}

int main(int argc, char **argv) {
	alarm(5);
	if (argc == 3 && strcmp(argv[1], "after") == 0) {
		int same = atoi(argv[2]) == getpid();
		int tasks = count_tasks();
		printf("after exec: same pid %d, tasks %d\n", same, tasks);
		return same && tasks == 1 ? 0 : 1;
	}
	self_argv0 = argv[0];
	pthread_t s, e;
	pthread_create(&s, NULL, sleeper, NULL);
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
	pthread_create(&e, NULL, execer, NULL);
	pthread_join(e, NULL);
	printf("not reached\n");
	return 1;
}
