// sa_resethand: SA_RESETHAND and SA_NODEFER. A one-shot handler resets the
// disposition to SIG_DFL on entry (the next SIGURG, default-ignored, does
// nothing); an SA_NODEFER handler can be re-entered by its own signal, so
// raising it inside nests two deep.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile int oneshot_runs, nodefer_depth, nodefer_max, nodefer_runs;

static void oneshot(int sig) {
	(void)sig;
	oneshot_runs++;
}

static void nodefer(int sig) {
	nodefer_runs++;
	nodefer_depth++;
	if (nodefer_depth > nodefer_max)
		nodefer_max = nodefer_depth;
	if (nodefer_runs == 1)
		raise(sig); // not blocked: runs nested, right now
	nodefer_depth--;
}

int main(void) {
	struct sigaction sa = {0}, now;
	sa.sa_handler = oneshot;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGURG, &sa, NULL);
	raise(SIGURG);
	sigaction(SIGURG, NULL, &now);
	int reset = now.sa_handler == SIG_DFL;
	raise(SIGURG); // default action for SIGURG: ignore
	printf("SA_RESETHAND: handler ran %d time(s), reset to SIG_DFL %d\n", oneshot_runs, reset);

	sa.sa_handler = nodefer;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SA_NODEFER: handler ran %d time(s), max depth %d\n", nodefer_runs, nodefer_max);
	return oneshot_runs == 1 && reset && nodefer_runs == 2 && nodefer_max == 2 ? 0 : 1;
}
