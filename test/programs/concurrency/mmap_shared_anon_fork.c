// mmap_shared_anon_fork: memory shared between processes. A
// MAP_SHARED|MAP_ANONYMOUS counter is incremented alternately by the parent
// and a child, 100 times each, with a pipe handshake deciding whose turn it
// is; a MAP_PRIVATE page written by the child stays unchanged for the
// parent (copy on write).
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 100

int main(void) {
	alarm(5);
	long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long *private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || private == MAP_FAILED)
		return 2;
	*shared = 0;
	*private = 1;
	int to_child[2], to_parent[2];
	pipe(to_child);
	pipe(to_parent);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		int order_ok = 1;
		for (int i = 0; i < ROUNDS; i++) {
			read(to_child[0], &c, 1);
			if (*shared != 2 * i + 1)
				order_ok = 0;
			(*shared)++;
			write(to_parent[1], "c", 1);
		}
		*private = 99;
		_exit(order_ok ? 0 : 1);
	}
	char c;
	int order_ok = 1;
	for (int i = 0; i < ROUNDS; i++) {
		if (*shared != 2 * i)
			order_ok = 0;
		(*shared)++;
		write(to_child[1], "p", 1);
		read(to_parent[0], &c, 1);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("shared counter: %ld (expected %d)\n", *shared, 2 * ROUNDS);
	printf("strict alternation: parent %d, child %d\n", order_ok, WEXITSTATUS(st) == 0);
	printf("private page after the child wrote it: %ld\n", *private);
	return *shared == 2 * ROUNDS && order_ok && WEXITSTATUS(st) == 0 && *private == 1 ? 0 : 1;
}
