// set_tid_address: the clear_child_tid pointer. A thread made with raw
// clone(CLONE_CHILD_CLEARTID) points the kernel at word A; the thread then
// calls set_tid_address(&B), so at its exit the kernel zeroes B (and
// futex-wakes it) and leaves A alone. set_tid_address returns the caller's
// tid. The clone child touches no TLS (it shares main's), only syscalls.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)

static volatile int word_a, word_b, main_word;
static volatile long child_ret, child_tid;

static int child(void *arg) {
	(void)arg;
	child_tid = syscall(SYS_gettid);
	child_ret = syscall(SYS_set_tid_address, &word_b);
	return 0; // glibc's clone calls SYS_exit with this
}

int main(void) {
	alarm(5);
	// Main's own pointer only matters if main exited before other threads.
	long main_ret = syscall(SYS_set_tid_address, &main_word);
	printf("main: set_tid_address returns the tid: %d\n", main_ret == getpid());

	char *stack = malloc(STACK_SIZE);
	word_a = -1;
	word_b = -1;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
	            CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;
	int tid = clone(child, stack + STACK_SIZE, flags, NULL, NULL, NULL, &word_a);
	if (tid < 0) {
		perror("clone");
		return 2;
	}
	// Wait for the kernel to clear B: the child has exited.
	int v;
	while ((v = word_b) != 0)
		syscall(SYS_futex, &word_b, FUTEX_WAIT, v, NULL, NULL, 0);
	printf("child: set_tid_address returned its tid: %d\n", child_ret == child_tid);
	printf("child: tid matches clone's return: %d\n", child_tid == tid);
	printf("after exit: B cleared: %d, A untouched: %d\n", word_b == 0, word_a == -1);
	free(stack);
	return word_b == 0 && word_a == -1 && child_ret == tid ? 0 : 1;
}
