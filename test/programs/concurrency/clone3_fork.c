// clone3_fork: the clone3 syscall with a struct clone_args, fork-like (no
// CLONE_VM): once with CLONE_PIDFD, waiting for the child through poll on
// the pidfd and waitid(P_PIDFD), once with CLONE_PARENT_SETTID and a custom
// exit_signal of SIGCHLD.
#define _GNU_SOURCE
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void) {
	alarm(5);
	fflush(stdout);
	int pidfd = -1;
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.flags = CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0) {
		perror("clone3");
		return 2;
	}
	if (pid == 0) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
		_exit(11);
	}
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r = poll(&p, 1, 3000);
	printf("pidfd: got one %d, readable at exit %d\n", pidfd >= 0, r == 1 && (p.revents & POLLIN));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	r = waitid(P_PIDFD, pidfd, &si, WEXITED);
	printf("waitid(P_PIDFD): %d, pid matches %d, CLD_EXITED %d, status %d\n", r, si.si_pid == pid,
	       si.si_code == CLD_EXITED, si.si_status);
	close(pidfd);
	int ok = r == 0 && si.si_pid == pid && si.si_status == 11;

	int ptid = 0;
	memset(&args, 0, sizeof args);
	args.flags = CLONE_PARENT_SETTID;
	args.parent_tid = (uint64_t)(uintptr_t)&ptid;
	args.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0)
		_exit(12);
	int st;
	waitpid((pid_t)pid, &st, 0);
	printf("PARENT_SETTID: tid written %d, exit %d\n", ptid == pid, WEXITSTATUS(st));
	ok &= ptid == pid && WEXITSTATUS(st) == 12;
	return ok ? 0 : 1;
}
