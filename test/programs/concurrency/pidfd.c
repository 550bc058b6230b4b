// pidfd: process file descriptors. pidfd_open on a forked child, poll on it
// (not readable while the child runs, readable once it exits),
// pidfd_send_signal to kill it, and waitid(P_PIDFD) to reap it.
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void) {
	alarm(5);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	printf("pidfd_open: %d\n", fd >= 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int before = poll(&p, 1, 0);
	printf("readable while running: %d\n", before);
	long r = syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
	printf("pidfd_send_signal: %ld\n", r);
	int after = poll(&p, 1, 3000);
	printf("readable after the signal: %d\n", after);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int w = waitid(P_PIDFD, fd, &si, WEXITED);
	printf("waitid(P_PIDFD): %d, killed by signal %d\n", w,
	       si.si_code == CLD_KILLED ? si.si_status : -1);
	close(fd);
	return fd >= 0 && before == 0 && r == 0 && after == 1 && si.si_status == SIGTERM ? 0 : 1;
}
