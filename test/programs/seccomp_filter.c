// seccomp_filter: a program that installs a seccomp filter of its own, as
// sandboxes do. uname fails with EPERM, getppid with EACCES (through libc
// and through the program's own syscall instruction), the rest is
// allowed; a thread started later is filtered too; a child adds a filter
// that kills it at getuid.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static int install(struct sock_filter *f, unsigned short n) {
	struct sock_fprog prog = {n, f};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

static const char *outcome(long r) {
	static char buf[64];
	if (r >= 0)
		return "ok";
	snprintf(buf, sizeof buf, "fails: %s", strerror(errno));
	return buf;
}

static void *thread(void *arg) {
	(void)arg;
	struct utsname u;
	printf("thread: uname %s\n", outcome(uname(&u)));
	return NULL;
}

int main(void) {
	struct sock_filter deny[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || install(deny, sizeof deny / sizeof deny[0]) != 0) {
		perror("installing the filter");
		return 1;
	}
	struct utsname u;
	printf("uname %s\n", outcome(uname(&u)));
	printf("getppid %s\n", outcome(getppid()));
	printf("getppid by syscall %s\n", outcome(syscall(SYS_getppid)));
	printf("getpid %s\n", outcome(getpid()));
	pthread_t th;
	pthread_create(&th, NULL, thread, NULL);
	pthread_join(th, NULL);
	fflush(stdout);

	pid_t child = fork();
	if (child == 0) {
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		struct sock_filter kill[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		install(kill, sizeof kill / sizeof kill[0]);
		printf("child: uname %s\n", outcome(uname(&u)));
		fflush(stdout);
		syscall(SYS_getuid);
		printf("child: still alive\n");
		return 0;
	}
	int status;
	waitpid(child, &status, 0);
	if (WIFSIGNALED(status))
		printf("child killed by signal %d\n", WTERMSIG(status));
	else
		printf("child exited %d\n", WEXITSTATUS(status));
	return 0;
}
