// cloexec_exec: which file descriptors survive execve. Before re-executing
// itself the program makes a pipe with O_CLOEXEC, one without, and a dup
// given FD_CLOEXEC through fcntl; after exec only the plain pipe's ends are
// still open, and data written before exec is still readable from them.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

int main(int argc, char **argv) {
	alarm(5);
	if (argc == 5) {
		int plain_r = atoi(argv[1]), plain_w = atoi(argv[2]);
		int cloexec_r = atoi(argv[3]), dup_fd = atoi(argv[4]);
		printf("after exec: plain pipe open %d/%d, O_CLOEXEC pipe open %d, FD_CLOEXEC dup open "
		       "%d\n",
		       is_open(plain_r), is_open(plain_w), is_open(cloexec_r), is_open(dup_fd));
		char buf[64] = {0};
		read(plain_r, buf, sizeof buf - 1);
		printf("read from the inherited pipe: %s\n", buf);
		return is_open(plain_r) && !is_open(cloexec_r) && !is_open(dup_fd) ? 0 : 1;
	}
	int plain[2], ce[2];
	pipe(plain);
	pipe2(ce, O_CLOEXEC);
	int d = dup(plain[0]);
	fcntl(d, F_SETFD, FD_CLOEXEC);
	write(plain[1], "written before exec", 19);
	char a[4][16];
	snprintf(a[0], 16, "%d", plain[0]);
	snprintf(a[1], 16, "%d", plain[1]);
	snprintf(a[2], 16, "%d", ce[0]);
	snprintf(a[3], 16, "%d", d);
	printf("before exec: all open %d\n",
	       is_open(plain[0]) && is_open(plain[1]) && is_open(ce[0]) && is_open(d));
	fflush(stdout);
	char *args[] = {argv[0], a[0], a[1], a[2], a[3], NULL};
	execv("/proc/self/exe", args);
	perror("execv");
	return 1;
}
