// prctl_name_threads: thread names. Each thread names itself with
// prctl(PR_SET_NAME) or pthread_setname_np, reads it back with
// PR_GET_NAME, and main reads every name from /proc/self/task/<tid>/comm
// while they are alive; names longer than 15 bytes are truncated.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define NTHREADS 3

static pthread_barrier_t named, read_done;
static pid_t tids[NTHREADS];
static char self_view[NTHREADS][32];

static void *worker(void *arg) {
	long id = (long)arg;
	tids[id] = gettid();
	char name[32];
	if (id == 2) {
		prctl(PR_SET_NAME, "a-very-long-thread-name-indeed");
	} else if (id == 1) {
		pthread_setname_np(pthread_self(), "worker-one");
	} else {
		snprintf(name, sizeof name, "worker-%ld", id);
		prctl(PR_SET_NAME, name);
	}
	prctl(PR_GET_NAME, self_view[id]);
	pthread_barrier_wait(&named);
	pthread_barrier_wait(&read_done);
	return NULL;
}

static void comm(pid_t tid, char *out, size_t n) {
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (f) {
		if (fgets(out, (int)n, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
}

int main(void) {
	alarm(5);
	pthread_barrier_init(&named, NULL, NTHREADS + 1);
	pthread_barrier_init(&read_done, NULL, NTHREADS + 1);
	prctl(PR_SET_NAME, "conc-main");
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	pthread_barrier_wait(&named);
	char names[NTHREADS][32];
	for (int i = 0; i < NTHREADS; i++)
		comm(tids[i], names[i], sizeof names[i]);
	pthread_barrier_wait(&read_done);
	int ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d: PR_GET_NAME \"%s\", comm \"%s\"\n", i, self_view[i], names[i]);
		ok &= strcmp(self_view[i], names[i]) == 0;
	}
	char mine[32];
	comm(getpid(), mine, sizeof mine);
	printf("main: comm \"%s\"\n", mine);
	return ok && strcmp(names[2], "a-very-long-thr") == 0 ? 0 : 1;
}
