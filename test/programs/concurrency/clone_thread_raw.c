// clone_thread_raw: threads made with glibc's clone() and explicit flags
// (CLONE_VM|CLONE_THREAD|CLONE_SIGHAND|... |CLONE_PARENT_SETTID|
// CLONE_CHILD_CLEARTID), not pthreads. Each works on its own malloc'd stack,
// uses only syscalls, and main waits for each with FUTEX_WAIT on the tid
// word that the kernel zeroes at the thread's exit.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 3
#define STACK_SIZE (64 * 1024)

struct job {
	volatile int tid; // set by the kernel at clone, zeroed at exit
	long n;
	volatile long sum;
	volatile long gettid, getpid;
};

static int child(void *arg) {
	struct job *j = arg;
	long s = 0;
	for (long k = 1; k <= j->n; k++)
		s += k * k;
	j->sum = s;
	j->gettid = syscall(SYS_gettid);
	j->getpid = syscall(SYS_getpid);
	return 0;
}

int main(void) {
	alarm(5);
	struct job jobs[NTHREADS];
	char *stacks[NTHREADS];
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
	            CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	int tids[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		jobs[i] = (struct job){.n = 1000 * (i + 1)};
		stacks[i] = malloc(STACK_SIZE);
		tids[i] = clone(child, stacks[i] + STACK_SIZE, flags, &jobs[i],
		                (int *)&jobs[i].tid, NULL, (int *)&jobs[i].tid);
		if (tids[i] < 0) {
			perror("clone");
			return 2;
		}
	}
	int ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		int v;
		while ((v = jobs[i].tid) != 0)
			syscall(SYS_futex, &jobs[i].tid, FUTEX_WAIT, v, NULL, NULL, 0);
		int same_pid = jobs[i].getpid == getpid();
		int own_tid = jobs[i].gettid == tids[i] && tids[i] != getpid();
		printf("thread %d: sum of squares to %ld = %ld, same pid %d, own tid %d\n", i,
		       jobs[i].n, jobs[i].sum, same_pid, own_tid);
		ok &= same_pid && own_tid;
		free(stacks[i]);
	}
	return ok ? 0 : 1;
}
