// sigsuspend_thread: waiting for a signal without a race. Main blocks
// SIGUSR1, starts a thread (which keeps it blocked), and waits in
// sigsuspend; the thread sends SIGUSR1 to the process with kill, which can
// only be delivered to main, inside sigsuspend; sigsuspend returns -1/EINTR
// and main's original mask is back.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile long handled_tid;

static void on_usr1(int sig) {
	(void)sig;
	handled_tid = syscall(SYS_gettid);
}

static void *sender(void *arg) {
	(void)arg;
	kill(getpid(), SIGUSR1);
	return NULL;
}

int main(void) {
	alarm(5);
	signal(SIGUSR1, on_usr1);
	sigset_t block, old, after;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_t t;
	pthread_create(&t, NULL, sender, NULL);
	int r = sigsuspend(&old);
	int e = errno;
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	pthread_join(t, NULL);
	printf("sigsuspend returned %d %s\n", r, e == EINTR ? "EINTR" : "?");
	printf("handled in main: %d, mask restored: %d\n", handled_tid == getpid(),
	       sigismember(&after, SIGUSR1));
	return r == -1 && e == EINTR && handled_tid == getpid() ? 0 : 1;
}
