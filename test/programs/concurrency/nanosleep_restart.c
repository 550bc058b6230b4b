// nanosleep_restart: sleeps interrupted by signals. A handler interrupts a
// 2 s nanosleep (a thread sends SIGUSR1 every 5 ms until it has), which
// fails with EINTR and reports the time that was left. Then a child stops us with SIGSTOP in the middle
// of a 40 ms clock_nanosleep and resumes us with SIGCONT: no handler runs,
// the kernel restarts the sleep (restart_syscall) and it returns 0.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static volatile int interrupted;
static pthread_t main_thread;

static void on_usr1(int sig) {
	(void)sig;
	handled++;
}

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *interrupter(void *arg) {
	(void)arg;
	for (int i = 0; i < 1000 && !interrupted; i++) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
		pthread_kill(main_thread, SIGUSR1);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	main_thread = pthread_self();

	pthread_t t;
	pthread_create(&t, NULL, interrupter, NULL);
	struct timespec req = {2, 0}, rem = {0, 0};
	int r = nanosleep(&req, &rem);
	int e = errno;
	interrupted = 1;
	pthread_join(t, NULL);
	long long req_ns = req.tv_sec * 1000000000LL + req.tv_nsec;
	long long rem_ns = rem.tv_sec * 1000000000LL + rem.tv_nsec;
	// The remaining time counts from the timer's hard expiry, which timer
	// slack (50 us) puts after the requested one: allow for it.
	int left_ok = r < 0 && rem_ns > 0 && rem_ns < req_ns + 1000000;
	printf("handler: nanosleep %d %s, remaining time reported %d\n", r,
	       e == EINTR ? "EINTR" : "?", left_ok);

	fflush(stdout);
	pid_t me = getpid();
	double start = now_ms();
	req = (struct timespec){0, 40 * 1000 * 1000};
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		kill(me, SIGSTOP);
		nanosleep(&ts, NULL);
		kill(me, SIGCONT);
		_exit(0);
	}
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
	double took = now_ms() - start;
	int st;
	waitpid(pid, &st, 0);
	printf("stop/continue: clock_nanosleep returned %d, total at least 40 ms %d\n", r,
	       took >= 40);
	return e == EINTR && left_ok && r == 0 && handled >= 1 ? 0 : 1;
}
