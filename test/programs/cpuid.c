// cpuid: the CPUID instruction, which rewind traps and records where CPUID
// faulting works (else it notes the CPU in the trace header). Executes leaf 0
// and leaf 1 and prints the vendor string and leaf 1's eax (family/model/
// stepping).
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

int main(void) {
	unsigned int eax, ebx, ecx, edx;
	char vendor[13];
	if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
		printf("cpuid: not supported\n");
		return 1;
	}
	memcpy(vendor, &ebx, 4);
	memcpy(vendor + 4, &edx, 4);
	memcpy(vendor + 8, &ecx, 4);
	vendor[12] = 0;
	printf("vendor: %s\n", vendor);
	printf("max leaf: %u\n", eax);
	__get_cpuid(1, &eax, &ebx, &ecx, &edx);
	printf("leaf 1 eax: %#x\n", eax);
	return 0;
}
