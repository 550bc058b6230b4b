// itimer_prof: CPU-time timers. ITIMER_PROF and then ITIMER_VIRTUAL fire
// while the program computes in a loop without syscalls, so SIGPROF and
// SIGVTALRM arrive at arbitrary instructions of that loop. Five of each.
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t prof, vt;

static void on_prof(int sig) {
	(void)sig;
	prof++;
}

static void on_vt(int sig) {
	(void)sig;
	vt++;
}

// spin_until computes until *count reaches n, and leaves in *seen the
// count that ended the loop: a tick may come right after it (a slow run,
// a recording, sees one more before the timer is off), or during the
// handler of the last one, to be taken as it returns, before the loop
// looks again (so the count seen is 6 now and then).
static unsigned long spin_until(volatile sig_atomic_t *count, int n, int *seen) {
	unsigned long x = 1;
	int c;
	while ((c = *count) < n)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	*seen = c;
	return x;
}

int main(void) {
	alarm(5);
	signal(SIGPROF, on_prof);
	signal(SIGVTALRM, on_vt);
	struct itimerval it = {{0, 2000}, {0, 2000}}, off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_PROF, &it, NULL);
	int profs, vts;
	unsigned long a = spin_until(&prof, 5, &profs);
	setitimer(ITIMER_PROF, &off, NULL);
	setitimer(ITIMER_VIRTUAL, &it, NULL);
	unsigned long b = spin_until(&vt, 5, &vts);
	setitimer(ITIMER_VIRTUAL, &off, NULL);
	printf("SIGPROF and SIGVTALRM reached 5: %d %d\n", profs >= 5, vts >= 5);
	printf("counts and loop state (vary): %d %d %lx %lx\n", profs, vts, a, b);
	return profs >= 5 && vts >= 5 ? 0 : 1;
}
