// nondet: every common source of nondeterminism in one program. Exercises
// time(2), clock_gettime (REALTIME and MONOTONIC) and gettimeofday (vDSO
// calls that must be recorded), getrandom(2), reads of /dev/urandom, rand()
// seeded from time^pid, rdtsc and rdtscp, getpid/getppid, the address of a
// stack variable and of a malloc'd block (equal between record and replay
// only because ASLR is off in both), and sched_getcpu (getcpu in the vDSO).
// Each line is "key: value"; two recordings differ, a replay does not.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static void hex(const char *key, const unsigned char *b, size_t n) {
	printf("%s: ", key);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

int main(void) {
	time_t now = time(NULL);
	printf("time: %lld\n", (long long)now);

	struct timespec rt, mono;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	printf("clock_realtime: %lld.%09ld\n", (long long)rt.tv_sec, rt.tv_nsec);
	printf("clock_monotonic: %lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	printf("gettimeofday: %lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);

	unsigned char buf[16];
	if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf) {
		perror("getrandom");
		return 1;
	}
	hex("getrandom", buf, sizeof buf);

	int fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
		perror("/dev/urandom");
		return 1;
	}
	close(fd);
	hex("urandom", buf, sizeof buf);

	srand((unsigned)now ^ (unsigned)getpid());
	printf("rand: %d\n", rand());

	unsigned long long tsc = __rdtsc();
	unsigned int aux;
	unsigned long long tscp = __rdtscp(&aux);
	printf("rdtsc: %llu\n", tsc);
	printf("rdtscp: %llu aux=%u\n", tscp, aux);

	printf("pid: %d\n", (int)getpid());
	printf("ppid: %d\n", (int)getppid());

	int local = 0;
	void *heap = malloc(64);
	printf("stack_addr: %p\n", (void *)&local);
	printf("heap_addr: %p\n", heap);
	free(heap);

	printf("cpu: %d\n", sched_getcpu());
	return 0;
}
