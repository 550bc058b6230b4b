// main_thread_exits_first: main calls pthread_exit while three threads keep
// running. The main thread becomes a zombie task (state Z in /proc) but the
// process lives on; the threads print, thread 0 joins the other two, and
// the last thread's exit ends the process with status 0.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 3

static pthread_t th[NTHREADS];
static pid_t pid;

static char main_state(void) {
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return '?';
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void *worker(void *arg) {
	long id = (long)arg;
	char st;
	int tries = 0;
	while ((st = main_state()) != 'Z' && tries++ < 2000) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	printf("thread %ld: running after main exited, main task state %c\n", id, st);
	if (id == 0) {
		for (int i = 1; i < NTHREADS; i++)
			pthread_join(th[i], NULL);
		printf("thread 0: joined the others, exiting last\n");
	}
	return NULL;
}

int main(void) {
	alarm(5);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = getpid();
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	printf("main: pthread_exit\n");
	pthread_exit(NULL);
}
