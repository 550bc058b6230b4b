// signalfd: signals read from a file descriptor. With SIGUSR1 and SIGCHLD
// blocked, a thread sends SIGUSR1 with sigqueue and a child exits with 3;
// main polls the signalfd and reads struct signalfd_siginfo records for
// both, then finds it empty (EAGAIN, non-blocking).
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void *sender(void *arg) {
	(void)arg;
	union sigval v = {.sival_int = 99};
	sigqueue(getpid(), SIGUSR1, v);
	return NULL;
}

int main(void) {
	alarm(5);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		perror("signalfd");
		return 2;
	}
	pthread_t t;
	pthread_create(&t, NULL, sender, NULL);
	pthread_join(t, NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);

	int got_usr1 = 0, got_chld = 0;
	while (!(got_usr1 && got_chld)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 3000) != 1)
			break;
		struct signalfd_siginfo si;
		while (read(fd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGUSR1) {
				got_usr1 = 1;
				printf("SIGUSR1: SI_QUEUE %d, value %d\n", si.ssi_code == SI_QUEUE,
				       si.ssi_int);
			} else if (si.ssi_signo == SIGCHLD) {
				got_chld = 1;
				printf("SIGCHLD: from the child %d, CLD_EXITED %d, status %d\n",
				       (pid_t)si.ssi_pid == pid, si.ssi_code == CLD_EXITED, si.ssi_status);
			}
		}
	}
	struct signalfd_siginfo si;
	ssize_t r = read(fd, &si, sizeof si);
	printf("then empty: %zd %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");
	int st;
	waitpid(pid, &st, 0);
	close(fd);
	return got_usr1 && got_chld ? 0 : 1;
}
