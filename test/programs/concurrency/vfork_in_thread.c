// vfork_in_thread: vfork from a thread other than main. Only the calling
// thread is suspended until the child execs; main keeps running meanwhile.
// The child (sharing memory with the parent until exec) spins until main has
// set a flag, then execs /bin/sh, whose exit status the thread collects.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int in_vfork, main_ran, done;
static int child_status = -1;

static void *vforker(void *arg) {
	(void)arg;
	atomic_store(&in_vfork, 1);
	pid_t pid = vfork();
	if (pid == 0) {
		while (!atomic_load(&main_ran))
			; // no syscalls: main must get the CPU
		execl("/bin/sh", "sh", "-c", "exit 21", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	child_status = WEXITSTATUS(st);
	atomic_store(&done, 1);
	return NULL;
}

int main(void) {
	alarm(5);
	fflush(stdout);
	pthread_t t;
	pthread_create(&t, NULL, vforker, NULL);
	while (!atomic_load(&done))
		if (atomic_load(&in_vfork))
			atomic_store(&main_ran, 1);
	pthread_join(t, NULL);
	printf("main ran while the vfork child held the thread: %d\n", atomic_load(&main_ran));
	printf("child exited %d\n", child_status);
	return child_status == 21 ? 0 : 1;
}
