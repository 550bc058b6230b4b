// cpuloop: a CPU-bound loop with no syscalls, the case where soft mode must
// preempt and fingerprint. Runs N (argv[1], default 300000000) iterations of
// an integer hash and prints the result, which depends only on N.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 300000000;
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (long i = 0; i < n; i++) {
		h ^= (uint64_t)i;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	printf("iterations: %ld hash: %016llx\n", n, (unsigned long long)h);
	return 0;
}
