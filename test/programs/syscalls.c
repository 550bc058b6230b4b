// syscalls: a syscall-heavy loop, the case the in-process syscall buffer is
// for. Runs N (argv[1], default 200000) iterations of getppid() and a 1-byte
// write to /dev/null, and prints how many writes succeeded.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0) {
		perror("/dev/null");
		return 1;
	}
	long ok = 0;
	for (long i = 0; i < n; i++) {
		(void)getppid();
		if (write(fd, "x", 1) == 1)
			ok++;
	}
	close(fd);
	printf("iterations: %ld writes: %ld\n", n, ok);
	return 0;
}
