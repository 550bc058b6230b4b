// timerfd_threads: timers as file descriptors. A 2 ms periodic timerfd is
// read by a thread until at least five expirations have accumulated (a read
// returns the count since the last one); a second, one-shot timerfd is
// waited for by main with poll; a non-blocking read of a disarmed timerfd
// fails with EAGAIN.
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int periodic;
static uint64_t expirations;
static int reads;

static void *reader(void *arg) {
	(void)arg;
	while (expirations < 5) {
		uint64_t n;
		if (read(periodic, &n, sizeof n) != sizeof n)
			break;
		expirations += n;
		reads++;
	}
	return NULL;
}

int main(void) {
	alarm(5);
	periodic = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = {{0, 2000000}, {0, 2000000}};
	timerfd_settime(periodic, 0, &its, NULL);
	pthread_t t;
	pthread_create(&t, NULL, reader, NULL);

	int once = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec one = {{0, 0}, {0, 5000000}};
	timerfd_settime(once, 0, &one, NULL);
	struct pollfd p = {.fd = once, .events = POLLIN};
	int pr = poll(&p, 1, 3000);
	uint64_t n = 0;
	read(once, &n, sizeof n);
	printf("one-shot: poll %d, expirations %llu\n", pr, (unsigned long long)n);
	ssize_t again = read(once, &n, sizeof n);
	printf("one-shot after firing: %zd %s\n", again, errno == EAGAIN ? "EAGAIN" : "?");

	pthread_join(t, NULL);
	struct itimerspec off = {{0, 0}, {0, 0}};
	timerfd_settime(periodic, 0, &off, NULL);
	printf("periodic: at least 5 expirations %d, in at least one read %d\n", expirations >= 5,
	       reads >= 1);
	close(once);
	close(periodic);
	return pr == 1 && n == 1 && again < 0 && expirations >= 5 ? 0 : 1;
}
