// robust_mutex_owner_dies: robust mutexes, whose owner dies holding them.
// The kernel walks the dead owner's robust list (set_robust_list) and marks
// the lock word, and the next locker gets EOWNERDEAD. Once with a thread that
// exits holding a private mutex, once with a child process that exits
// holding a process-shared mutex in MAP_SHARED memory.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m;

static void *grab_and_exit(void *arg) {
	(void)arg;
	pthread_mutex_lock(&m);
	return NULL; // exits holding m
}

static const char *name(int err) {
	switch (err) {
	case 0:
		return "0";
	case EOWNERDEAD:
		return "EOWNERDEAD";
	case ENOTRECOVERABLE:
		return "ENOTRECOVERABLE";
	default:
		return strerror(err);
	}
}

static void init_robust(pthread_mutex_t *mx, int pshared) {
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (pshared)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(mx, &a);
	pthread_mutexattr_destroy(&a);
}

int main(void) {
	alarm(5);
	int ok = 1;

	init_robust(&m, 0);
	pthread_t t;
	pthread_create(&t, NULL, grab_and_exit, NULL);
	pthread_join(t, NULL);
	int err = pthread_mutex_lock(&m);
	printf("thread: lock after owner died: %s\n", name(err));
	ok &= err == EOWNERDEAD;
	printf("thread: consistent: %s\n", name(pthread_mutex_consistent(&m)));
	pthread_mutex_unlock(&m);
	err = pthread_mutex_lock(&m);
	printf("thread: lock again: %s\n", name(err));
	ok &= err == 0;
	pthread_mutex_unlock(&m);

	pthread_mutex_t *sm = mmap(NULL, sizeof *sm, PROT_READ | PROT_WRITE,
	                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sm == MAP_FAILED)
		return 2;
	init_robust(sm, 1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(sm);
		_exit(0); // exits holding *sm
	}
	int st;
	waitpid(pid, &st, 0);
	err = pthread_mutex_lock(sm);
	printf("process: lock after owner died: %s\n", name(err));
	ok &= err == EOWNERDEAD;
	// Not made consistent: unlocking makes it unrecoverable.
	pthread_mutex_unlock(sm);
	err = pthread_mutex_lock(sm);
	printf("process: lock after unlock without consistent: %s\n", name(err));
	ok &= err == ENOTRECOVERABLE;
	munmap(sm, sizeof *sm);
	return ok ? 0 : 1;
}
