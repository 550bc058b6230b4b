// pdeathsig: PR_SET_PDEATHSIG. A grandchild asks for SIGUSR1 when its parent
// dies and tells its parent so; the parent then exits, the kernel sends the
// signal, and the grandchild's handler reports it to the original process
// through a pipe.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig) { got = sig; }

int main(void) {
	alarm(5);
	int p[2], ready[2];
	pipe(p);
	pipe(ready);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		if (fork() == 0) {
			sigset_t block, old;
			sigemptyset(&block);
			sigaddset(&block, SIGUSR1);
			sigprocmask(SIG_BLOCK, &block, &old);
			close(ready[0]);
			signal(SIGUSR1, on_usr1);
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			int sig = 0;
			prctl(PR_GET_PDEATHSIG, &sig);
			write(ready[1], "r", 1);
			while (!got)
				sigsuspend(&old);
			char msg[64];
			int n = snprintf(msg, sizeof msg, "grandchild got signal %d (asked for %d)",
			                 (int)got, sig);
			write(p[1], msg, n);
			_exit(0);
		}
		close(ready[1]);
		char c;
		read(ready[0], &c, 1); // the grandchild is armed
		_exit(0);
	}
	close(p[1]);
	close(ready[0]);
	close(ready[1]);
	int st;
	waitpid(child, &st, 0);
	char buf[128] = {0};
	size_t n = 0;
	ssize_t k;
	while ((k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += k;
	printf("%s\n", buf);
	return strcmp(buf, "grandchild got signal 10 (asked for 10)") == 0 ? 0 : 1;
}
