// threads: three threads each call work() once; main reports what they
// did. For debugging across threads: breakpoints hit in each of them, and
// reverse execution goes back across the switches between them.
#include <pthread.h>
#include <stdio.h>

static int results[3];
static int shared;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) int work(int id) {
	int v = id * 10 + 5;
	pthread_mutex_lock(&mu);
	shared += v; // LINE:shared
	pthread_mutex_unlock(&mu);
	return v + 1;
}

static void *worker(void *arg) {
	int id = (int)(long)arg;
	results[id] = work(id);
	return NULL;
}

int main(void) {
	pthread_t th[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	printf("shared %d results %d %d %d\n", shared, results[0], results[1], results[2]); // LINE:print
	return 0;
}
