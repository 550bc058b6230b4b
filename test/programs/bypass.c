// bypass: a program that gets around the syscall buffer in the ways
// rewind must still record: it closes every descriptor it does not use,
// makes syscalls with its own syscall instruction, and runs a child with
// LD_PRELOAD removed. It prints what it read, so a replay that differs
// shows.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// raw_getpid makes the call from an instruction of its own, not libc's.
static long raw_getpid(void) {
	long r;
	asm volatile("syscall" : "=a"(r) : "a"(SYS_getpid) : "rcx", "r11", "memory");
	return r;
}

static void work(const char *who) {
	char buf[64] = {0};
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%s: read %zd bytes, pid %ld, time %ld.%09ld, raw pid %ld\n", who, n, (long)getpid(), (long)ts.tv_sec,
	       ts.tv_nsec, raw_getpid());
}

int main(int argc, char **argv) {
	if (argc > 1) {
		printf("child: LD_PRELOAD %s\n", getenv("LD_PRELOAD") ? "set" : "unset");
		work("child");
		return 0;
	}
	syscall(SYS_close_range, 3, ~0U, 0);
	work("parent");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		unsetenv("LD_PRELOAD");
		execl("/proc/self/exe", argv[0], "child", (char *)0);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child exited %d\n", WEXITSTATUS(status));
	return 0;
}
