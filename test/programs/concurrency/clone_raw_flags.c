// clone_raw_flags: the clone syscall called directly with explicit flags,
// always without CLONE_VM so that the child runs on its copy of the stack:
// plain SIGCHLD (a fork), CLONE_PARENT_SETTID|CLONE_CHILD_SETTID,
// CLONE_FILES (the child closes and creates fds in the shared table),
// CLONE_FS (the child's chdir moves the parent), and SIGUSR1 as exit signal
// (a "clone child" that only __WCLONE waits for). Children use only
// syscalls.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long raw_clone(unsigned long flags, int *ptid, int *ctid) {
	// x86-64 order: flags, stack, parent_tid, child_tid, tls.
	return syscall(SYS_clone, flags, NULL, ptid, ctid, NULL);
}

static int reap(long pid, int opts) {
	int st;
	if (waitpid((pid_t)pid, &st, opts) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void) {
	alarm(5);
	int ok = 1;
	fflush(stdout);

	long pid = raw_clone(SIGCHLD, NULL, NULL);
	if (pid == 0)
		syscall(SYS_exit_group, 5);
	int code = reap(pid, 0);
	printf("SIGCHLD only: child exited %d\n", code);
	ok &= code == 5;

	int ptid = 0, ctid = 0;
	pid = raw_clone(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, &ptid, &ctid);
	if (pid == 0)
		syscall(SYS_exit_group, ctid == syscall(SYS_getpid) ? 0 : 1);
	code = reap(pid, 0);
	printf("SETTID: parent's copy set %d, child's copy right %d, parent's ctid untouched %d\n",
	       ptid == pid, code == 0, ctid == 0);
	ok &= ptid == pid && code == 0 && ctid == 0;

	int fd = open("/dev/null", O_RDONLY);
	pid = raw_clone(CLONE_FILES | SIGCHLD, NULL, NULL);
	if (pid == 0) {
		syscall(SYS_close, fd);
		syscall(SYS_dup2, 0, 100);
		syscall(SYS_exit_group, 0);
	}
	reap(pid, 0);
	int closed = fcntl(fd, F_GETFD) < 0 && errno == EBADF;
	int opened = fcntl(100, F_GETFD) >= 0;
	printf("CLONE_FILES: child's close seen %d, child's dup2 seen %d\n", closed, opened);
	ok &= closed && opened;
	close(100);

	char before[4096], after[4096];
	getcwd(before, sizeof before);
	pid = raw_clone(CLONE_FS | SIGCHLD, NULL, NULL);
	if (pid == 0) {
		syscall(SYS_chdir, "/");
		syscall(SYS_exit_group, 0);
	}
	reap(pid, 0);
	getcwd(after, sizeof after);
	printf("CLONE_FS: child's chdir moved the parent to \"%s\"\n", after);
	ok &= strcmp(after, "/") == 0;
	chdir(before);

	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pid = raw_clone(SIGUSR1, NULL, NULL);
	if (pid == 0)
		syscall(SYS_exit_group, 6);
	int st;
	int plain = waitpid((pid_t)pid, &st, 0);
	printf("exit signal SIGUSR1: plain waitpid %s", plain < 0 && errno == ECHILD ? "ECHILD" : "?");
	code = reap(pid, __WCLONE);
	siginfo_t si;
	struct timespec ts = {1, 0};
	int sig = sigtimedwait(&usr1, &si, &ts);
	printf(", __WCLONE gets %d, SIGUSR1 arrived %d with CLD_EXITED %d status %d\n", code,
	       sig == SIGUSR1, si.si_code == CLD_EXITED, si.si_status);
	ok &= plain < 0 && code == 6 && sig == SIGUSR1 && si.si_status == 6;
	return ok ? 0 : 1;
}
