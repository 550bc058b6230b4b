// segv: synchronous signals that the program handles and survives. Exercises
// a SIGSEGV handler installed with SA_SIGINFO that leaves by siglongjmp,
// three faults (a read near NULL, a write to an unmapped address, a write to
// a PROT_NONE page), and the siginfo the kernel delivers (si_addr, si_code).
// The PROT_NONE page's address is printed relative to the page, so the
// output is the same on every run.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

static sigjmp_buf env;
static void *volatile fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uctx) {
	(void)sig;
	(void)uctx;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(env, 1);
}

int main(void) {
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);

	char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	volatile int *targets[3] = {(volatile int *)16, (volatile int *)0xdead000, (volatile int *)(page + 24)};
	int faults = 0;
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(env, 1) == 0) {
			if (i == 0)
				(void)*targets[i];
			else
				*targets[i] = 42;
			printf("fault %d: no fault!\n", i + 1);
			continue;
		}
		faults++;
		if ((char *)fault_addr >= page && (char *)fault_addr < page + 4096)
			printf("fault %d: si_addr=page+%#lx si_code=%d\n", i + 1,
			       (unsigned long)((char *)fault_addr - page), fault_code);
		else
			printf("fault %d: si_addr=%p si_code=%d\n", i + 1, fault_addr, fault_code);
	}
	printf("survived %d faults\n", faults);
	return 0;
}
