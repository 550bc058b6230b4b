// process_group_session: process groups and sessions. A child starts in its
// parent's group and session, moves into a group of its own with setpgid,
// cannot then become a session leader (setsid: EPERM, it leads a group);
// another child calls setsid and leads a new session and group; the parent
// puts a third child into a group of its own with setpgid.
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	alarm(5);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid_t parent_pgid = getpgid(0), parent_sid = getsid(0);
	fflush(stdout);

	pid_t a = fork();
	if (a == 0) {
		int inherited = getpgid(0) == parent_pgid && getsid(0) == parent_sid;
		setpgid(0, 0);
		int own = getpgid(0) == getpid() && getpgrp() == getpid();
		int r = setsid();
		int eperm = r < 0 && errno == EPERM;
		printf("child a: inherited group and session %d, own group %d, setsid EPERM %d\n",
		       inherited, own, eperm);
		_exit(inherited && own && eperm ? 0 : 1);
	}
	int st;
	waitpid(a, &st, 0);
	int ok = WEXITSTATUS(st) == 0;

	pid_t b = fork();
	if (b == 0) {
		pid_t sid = setsid();
		int leads = sid == getpid() && getsid(0) == getpid() && getpgid(0) == getpid();
		printf("child b: setsid made a new session and group %d\n", leads);
		_exit(leads ? 0 : 1);
	}
	waitpid(b, &st, 0);
	ok &= WEXITSTATUS(st) == 0;

	int go[2];
	pipe(go);
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(go[1]);
		read(go[0], &x, 1); // wait until the parent moved us
		int moved = getpgid(0) == getpid();
		printf("child c: parent's setpgid gave it its own group %d\n", moved);
		_exit(moved ? 0 : 1);
	}
	close(go[0]);
	int r = setpgid(c, c);
	int seen = getpgid(c) == c;
	write(go[1], "x", 1);
	close(go[1]);
	waitpid(c, &st, 0);
	printf("parent: setpgid(child) %d, getpgid(child) is the child %d, own group unchanged %d\n",
	       r, seen, getpgid(0) == parent_pgid);
	ok &= r == 0 && seen && WEXITSTATUS(st) == 0;
	return ok ? 0 : 1;
}
