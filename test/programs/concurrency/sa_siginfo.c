// sa_siginfo: what an SA_SIGINFO handler is told. sigqueue with a value
// (SI_QUEUE, si_value, si_pid, si_uid); realtime signals queued while
// blocked are each delivered, in order, with their values; a standard
// signal sent three times while blocked is delivered once.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile int usr1_code, usr1_value, usr1_pid_ok, usr1_uid_ok;
static volatile int rt_values[8], rt_count, usr2_count, ctx_ok = 1;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	usr1_code = si->si_code;
	usr1_value = si->si_value.sival_int;
	usr1_pid_ok = si->si_pid == getpid();
	usr1_uid_ok = si->si_uid == getuid();
	if (!uc)
		ctx_ok = 0;
}

static void on_rt(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	if (rt_count < 8)
		rt_values[rt_count] = si->si_value.sival_int;
	rt_count++;
}

static void on_usr2(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)si;
	(void)uc;
	usr2_count++;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *)) {
	struct sigaction sa = {0};
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

int main(void) {
	install(SIGUSR1, on_usr1);
	install(SIGRTMIN + 2, on_rt);
	install(SIGUSR2, on_usr2);

	union sigval v = {.sival_int = 1234};
	sigqueue(getpid(), SIGUSR1, v);
	printf("sigqueue: SI_QUEUE %d, value %d, si_pid ok %d, si_uid ok %d, ucontext %d\n",
	       usr1_code == SI_QUEUE, usr1_value, usr1_pid_ok, usr1_uid_ok, ctx_ok);

	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 2);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	for (int i = 1; i <= 3; i++) {
		union sigval rv = {.sival_int = i * 11};
		sigqueue(getpid(), SIGRTMIN + 2, rv);
		kill(getpid(), SIGUSR2);
	}
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	printf("realtime: delivered %d, values %d %d %d\n", rt_count, rt_values[0], rt_values[1],
	       rt_values[2]);
	printf("standard: delivered %d\n", usr2_count);
	return usr1_code == SI_QUEUE && usr1_value == 1234 && rt_count == 3 &&
	               rt_values[0] == 11 && rt_values[2] == 33 && usr2_count == 1
	           ? 0
	           : 1;
}
