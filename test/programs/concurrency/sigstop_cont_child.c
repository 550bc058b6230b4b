// sigstop_cont_child: job control on a child. The parent stops it with
// SIGSTOP (waitpid WUNTRACED reports it stopped), checks that it makes no
// progress while stopped, resumes it with SIGCONT (WCONTINUED reports
// that), and lets it finish. The child counts in shared memory.
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void ms(long n) {
	struct timespec ts = {0, n * 1000 * 1000};
	nanosleep(&ts, NULL);
}

int main(void) {
	alarm(5);
	volatile long *ticks =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile int *stop = (volatile int *)(ticks + 1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		while (!*stop) {
			(*ticks)++;
			ms(1);
		}
		_exit(8);
	}
	while (*ticks < 3)
		ms(1);
	kill(pid, SIGSTOP);
	int st;
	waitpid(pid, &st, WUNTRACED);
	int stopped = WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP;
	long t1 = *ticks;
	ms(20);
	long t2 = *ticks;
	printf("stopped: %d, no progress while stopped: %d\n", stopped, t1 == t2);
	kill(pid, SIGCONT);
	waitpid(pid, &st, WCONTINUED);
	int continued = WIFCONTINUED(st);
	while (*ticks < t2 + 3)
		ms(1);
	printf("continued: %d, progress after: %d\n", continued, *ticks > t2);
	*stop = 1;
	waitpid(pid, &st, 0);
	printf("exited: %d\n", WEXITSTATUS(st));
	return stopped && t1 == t2 && continued && WEXITSTATUS(st) == 8 ? 0 : 1;
}
