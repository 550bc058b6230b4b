// Two processes computing at the same time: the program runs two copies
// of itself, which spin without a syscall and then report their sum and
// the APIC id CPUID gives them (it differs by CPU: replay must run each
// on the CPU it was recorded on) through a pipe each; it prints the
// reports in order.
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc > 2) {
		long n = atol(argv[1]);
		volatile unsigned long sum = 0;
		for (long i = 0; i < n; i++)
			sum += (unsigned long)i * i;
		unsigned a, b, c, d;
		__cpuid(1, a, b, c, d);
		printf("child %s: sum %lu, apic id %u\n", argv[2], sum, b >> 24);
		return 0;
	}
	const char *n = argc > 1 ? argv[1] : "100000000";
	int out[2];
	for (int k = 0; k < 2; k++) {
		int p[2];
		if (pipe(p) != 0) {
			perror("pipe");
			return 1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
			execl("/proc/self/exe", argv[0], n, k == 0 ? "a" : "b", (char *)NULL);
			perror("exec");
			_exit(127);
		}
		close(p[1]);
		out[k] = p[0];
	}
	int failed = 0;
	for (int k = 0; k < 2; k++) {
		char buf[256];
		ssize_t got;
		while ((got = read(out[k], buf, sizeof buf)) > 0)
			fwrite(buf, 1, (size_t)got, stdout);
		int status;
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed;
}
