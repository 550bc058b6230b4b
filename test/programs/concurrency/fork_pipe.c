// fork_pipe: a parent and a forked child talking over two pipes. The parent
// streams 256 KiB (more than a pipe holds, so both sides block in turn) to
// the child, which checksums it and sends the checksum and byte count back.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOTAL (256 * 1024)

static uint32_t fnv(uint32_t h, const unsigned char *p, size_t n) {
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

int main(void) {
	alarm(5);
	int down[2], up[2];
	if (pipe(down) || pipe(up))
		return 2;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		unsigned char buf[4096];
		uint32_t h = 2166136261u;
		long n = 0;
		ssize_t r;
		while ((r = read(down[0], buf, sizeof buf)) > 0) {
			h = fnv(h, buf, r);
			n += r;
		}
		char msg[64];
		int len = snprintf(msg, sizeof msg, "%ld %08x", n, h);
		write(up[1], msg, len);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	unsigned char chunk[1000];
	uint32_t h = 2166136261u;
	for (long sent = 0; sent < TOTAL;) {
		size_t n = sizeof chunk;
		if (TOTAL - sent < (long)n)
			n = TOTAL - sent;
		for (size_t i = 0; i < n; i++)
			chunk[i] = (unsigned char)((sent + i) * 31 + 7);
		h = fnv(h, chunk, n);
		write(down[1], chunk, n);
		sent += n;
	}
	close(down[1]);
	char reply[64] = {0};
	read(up[0], reply, sizeof reply - 1);
	int st;
	waitpid(pid, &st, 0);
	char want[64];
	snprintf(want, sizeof want, "%d %08x", TOTAL, h);
	printf("child says: %s\n", reply);
	printf("matches: %d, child status %d\n", strcmp(reply, want) == 0, WEXITSTATUS(st));
	return strcmp(reply, want) == 0 ? 0 : 1;
}
