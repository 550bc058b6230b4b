// socketpair_processes: a parent and a child on an AF_UNIX socketpair.
// Request/response over SOCK_STREAM for 100 rounds, message boundaries
// kept by SOCK_SEQPACKET, and a file descriptor passed from the child to the
// parent with SCM_RIGHTS (a pipe the child filled before sending).
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int send_fd(int sock, int fd) {
	char dummy = 'F';
	struct iovec iov = {&dummy, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	                     .msg_controllen = sizeof u.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock) {
	char dummy;
	struct iovec iov = {&dummy, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	                     .msg_controllen = sizeof u.buf};
	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

int main(void) {
	alarm(5);
	int st[2], sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, st);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(st[0]);
		close(sp[0]);
		int n;
		while (read(st[1], &n, sizeof n) == sizeof n) {
			n = n * n;
			write(st[1], &n, sizeof n);
		}
		write(sp[1], "one", 3);
		write(sp[1], "two!", 4);
		write(sp[1], "three", 5);
		int p[2];
		pipe(p);
		write(p[1], "through a passed fd", 19);
		close(p[1]);
		send_fd(sp[1], p[0]);
		_exit(0);
	}
	close(st[1]);
	close(sp[1]);
	long sum = 0;
	for (int i = 1; i <= 100; i++) {
		int n = i, sq = 0;
		write(st[0], &n, sizeof n);
		read(st[0], &sq, sizeof sq);
		sum += sq;
	}
	shutdown(st[0], SHUT_WR);
	printf("stream: sum of squares 1..100 from the child: %ld\n", sum);
	char buf[64];
	printf("seqpacket sizes:");
	for (int i = 0; i < 3; i++)
		printf(" %zd", read(sp[0], buf, sizeof buf));
	printf("\n");
	int fd = recv_fd(sp[0]);
	memset(buf, 0, sizeof buf);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	printf("SCM_RIGHTS: got an fd %d, read %zd bytes: %s\n", fd >= 0, n, buf);
	int status;
	waitpid(pid, &status, 0);
	return sum == 338350 && n == 19 ? 0 : 1;
}
