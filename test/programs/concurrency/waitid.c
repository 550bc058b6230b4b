// waitid: the siginfo-based wait. A child that exits 4 is seen twice, first
// with WNOWAIT (left a zombie) then for real; a child killed by SIGTERM
// reports CLD_KILLED; a stopped child reports CLD_STOPPED with WSTOPPED and
// CLD_CONTINUED with WCONTINUED; WNOHANG with nothing to report returns 0
// with si_pid 0.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *code_name(int c) {
	switch (c) {
	case CLD_EXITED:
		return "CLD_EXITED";
	case CLD_KILLED:
		return "CLD_KILLED";
	case CLD_DUMPED:
		return "CLD_DUMPED";
	case CLD_STOPPED:
		return "CLD_STOPPED";
	case CLD_CONTINUED:
		return "CLD_CONTINUED";
	default:
		return "?";
	}
}

static int report(const char *what, pid_t pid, int opts) {
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, pid, &si, opts);
	printf("%s: %d %s status %d pid matches %d\n", what, r, code_name(si.si_code), si.si_status,
	       si.si_pid == pid);
	return si.si_code;
}

int main(void) {
	alarm(5);
	fflush(stdout);
	pid_t a = fork();
	if (a == 0)
		_exit(4);
	int ok = report("exit, WNOWAIT", a, WEXITED | WNOWAIT) == CLD_EXITED;
	ok &= report("exit, again", a, WEXITED) == CLD_EXITED;

	pid_t b = fork();
	if (b == 0) {
		for (;;)
			pause();
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, b, &si, WEXITED | WNOHANG);
	printf("WNOHANG while running: %d, si_pid %d\n", r, si.si_pid);
	ok &= r == 0 && si.si_pid == 0;

	kill(b, SIGSTOP);
	ok &= report("SIGSTOP", b, WSTOPPED) == CLD_STOPPED;
	kill(b, SIGCONT);
	ok &= report("SIGCONT", b, WCONTINUED) == CLD_CONTINUED;
	kill(b, SIGTERM);
	ok &= report("SIGTERM", b, WEXITED) == CLD_KILLED;
	return ok ? 0 : 1;
}
