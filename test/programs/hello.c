// hello: the smallest recording. Exercises a write to stdout, a write to
// stderr and a non-zero exit status (3).
#include <stdio.h>

int main(void) {
	printf("hello from stdout\n");
	fprintf(stderr, "hello from stderr\n");
	return 3;
}
