// many_threads_64: 64 threads alive at once. All wait at a barrier with
// main (so all 65 exist together), check that /proc/self/task lists them,
// then each writes its slot and main joins all 64.
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 64

static pthread_barrier_t all_up, counted;
static long slot[NTHREADS];
static long tids[NTHREADS];

static void *worker(void *arg) {
	long i = (long)arg;
	tids[i] = syscall(SYS_gettid);
	pthread_barrier_wait(&all_up);
	pthread_barrier_wait(&counted);
	slot[i] = i * 1000 + 7;
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
	pthread_barrier_init(&all_up, NULL, NTHREADS + 1);
	pthread_barrier_init(&counted, NULL, NTHREADS + 1);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], &attr, worker, (void *)i) != 0) {
			printf("pthread_create %ld failed\n", i);
			return 2;
		}
	pthread_barrier_wait(&all_up);
	int tasks = count_tasks();
	pthread_barrier_wait(&counted);
	long sum = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		sum += slot[i];
	}
	int distinct = 1;
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid())
				distinct = 0;
	printf("tasks while all alive: %d\n", tasks);
	printf("distinct tids: %d\n", distinct);
	printf("sum: %ld\n", sum);
	printf("tasks after join: %d\n", count_tasks());
	return tasks == NTHREADS + 1 && distinct && sum == 2016000 + 7 * 64 ? 0 : 1;
}
