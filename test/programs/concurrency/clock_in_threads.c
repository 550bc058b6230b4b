// clock_in_threads: clock_gettime from several threads (through the vDSO
// natively, through syscalls when a recorder hides it): CLOCK_MONOTONIC
// never goes backwards within a thread, CLOCK_REALTIME is after 2020, the
// thread and process CPU clocks are readable. The values printed differ
// from run to run.
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define NTHREADS 4
#define SAMPLES 1000

static int monotonic_ok[NTHREADS], realtime_ok[NTHREADS], cpu_ok[NTHREADS];
static struct timespec last_mono[NTHREADS], thread_cpu[NTHREADS];

static void *worker(void *arg) {
	long id = (long)arg;
	struct timespec prev = {0, 0}, now, rt, cpu, pcpu;
	monotonic_ok[id] = 1;
	for (int i = 0; i < SAMPLES; i++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < prev.tv_sec || (now.tv_sec == prev.tv_sec && now.tv_nsec < prev.tv_nsec))
			monotonic_ok[id] = 0;
		prev = now;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	realtime_ok[id] = rt.tv_sec > 1577836800; // 2020-01-01
	cpu_ok[id] = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0 &&
	             clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &pcpu) == 0;
	last_mono[id] = prev;
	thread_cpu[id] = cpu;
	return NULL;
}

int main(void) {
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	int ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		ok &= monotonic_ok[i] && realtime_ok[i] && cpu_ok[i];
		printf("thread %d: monotonic %ld.%09ld, thread cpu %ld.%09ld\n", i,
		       (long)last_mono[i].tv_sec, last_mono[i].tv_nsec, (long)thread_cpu[i].tv_sec,
		       thread_cpu[i].tv_nsec);
	}
	printf("monotonic non-decreasing, realtime sane, cpu clocks readable in every thread: %d\n",
	       ok);
	return ok ? 0 : 1;
}
