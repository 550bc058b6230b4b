// sigreturn_nested: handlers interrupted by other handlers. The SIGUSR1
// handler raises SIGUSR2, whose handler raises SIGHUP: three frames deep,
// each returning through rt_sigreturn in reverse order. SIGUSR1 raised
// again inside its own handler is blocked there and delivered right after
// it returns. Callee-saved state computed across the signals is intact.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char trace[128];
static volatile int depth, max_depth, usr1_runs;

static void note(const char *s) { strncat(trace, s, sizeof trace - strlen(trace) - 1); }

static void on_hup(int sig) {
	(void)sig;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	note("[HUP]");
	depth--;
}

static void on_usr2(int sig) {
	(void)sig;
	depth++;
	note("[USR2");
	raise(SIGHUP);
	note("USR2]");
	depth--;
}

static void on_usr1(int sig) {
	(void)sig;
	depth++;
	usr1_runs++;
	note("[USR1");
	if (usr1_runs == 1)
		raise(SIGUSR1); // blocked while we run: pending until we return
	raise(SIGUSR2);
	note("USR1]");
	depth--;
}

int main(void) {
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	signal(SIGHUP, on_hup);
	volatile long acc = 0;
	long local = 12345;
	for (int i = 0; i < 10; i++)
		acc += i * local;
	raise(SIGUSR1);
	for (int i = 0; i < 10; i++)
		acc += i * local;
	printf("trace: %s\n", trace);
	printf("max depth %d, SIGUSR1 handler ran %d times, depth back to %d\n", max_depth,
	       usr1_runs, depth);
	printf("state across the handlers: %ld\n", acc);
	return max_depth == 3 && usr1_runs == 2 && depth == 0 && acc == 1111050 ? 0 : 1;
}
