// setgs sets its own %gs base with arch_prctl(ARCH_SET_GS), which rewind's
// syscall buffer uses to find a thread's slot. Not a fixture (the buffer
// refuses it): test/buffer_test.go checks the refusal names the cause, and
// that it records with -n.
#include <asm/prctl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static long block[16];

int main(void) {
	block[0] = 42;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, block) != 0) {
		perror("arch_prctl");
		return 1;
	}
	long v;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(v));
	printf("gs:0 = %ld\n", v);
	return 0;
}
