// fork_in_thread: a thread other than main calls fork. The child is a copy
// of that one thread only: it is the single task of its process (its tid is
// its pid) and its parent is the forking process. The forking thread reaps
// it while main waits in pthread_join.
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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

static pid_t parent_pid;
static int child_status = -1;

static void *forker(void *arg) {
	(void)arg;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = gettid() == getpid() && count_tasks() == 1 && getppid() == parent_pid;
		printf("child: single task %d, tid is pid %d, ppid is the process %d\n",
		       count_tasks() == 1, gettid() == getpid(), getppid() == parent_pid);
		fflush(stdout);
		_exit(ok ? 3 : 4);
	}
	int st;
	waitpid(pid, &st, 0);
	child_status = WEXITSTATUS(st);
	return NULL;
}

int main(void) {
	alarm(5);
	setvbuf(stdout, NULL, _IOLBF, 0);
	parent_pid = getpid();
	pthread_t t;
	pthread_create(&t, NULL, forker, NULL);
	pthread_join(t, NULL);
	printf("thread reaped the child: status %d\n", child_status);
	return child_status == 3 ? 0 : 1;
}
