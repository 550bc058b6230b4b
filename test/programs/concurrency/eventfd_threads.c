// eventfd_threads: an eventfd as a counter shared by threads. Four threads
// each add 1 a hundred times; main reads (each read returns and clears the
// accumulated count) until it has 400. Then an EFD_SEMAPHORE eventfd hands
// out one unit per read, and a non-blocking empty read fails with EAGAIN.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NTHREADS 4
#define EACH 100

static int efd;

static void *adder(void *arg) {
	(void)arg;
	for (int i = 0; i < EACH; i++) {
		uint64_t one = 1;
		write(efd, &one, sizeof one);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	efd = eventfd(0, 0);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, adder, NULL);
	uint64_t total = 0;
	int reads = 0;
	while (total < NTHREADS * EACH) {
		uint64_t v;
		if (read(efd, &v, sizeof v) != sizeof v)
			break;
		total += v;
		reads++;
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("counter total: %llu in at least one read: %d\n", (unsigned long long)total,
	       reads >= 1);
	close(efd);

	int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	uint64_t v;
	int units = 0;
	while (read(sem, &v, sizeof v) == sizeof v && v == 1)
		units++;
	printf("semaphore: %d reads of 1, then %s\n", units, errno == EAGAIN ? "EAGAIN" : "?");
	close(sem);
	return total == NTHREADS * EACH && units == 3 ? 0 : 1;
}
