// abort: death by a signal. Exercises a program killed by SIGABRT after it
// printed; a shell sees exit status 134 (128 + 6), and so must rewind.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
	printf("about to abort\n");
	fflush(stdout);
	abort();
}
