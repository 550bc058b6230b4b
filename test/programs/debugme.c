// debugme: a small program for debugger tests (test/gdb_test.go and
// friends). Deterministic: globals, a struct, a local array, a string, a
// recursive function, a loop calling a function that prints, and a call
// into libc's strlen. The tests name lines by the "LINE:" markers below, so
// keep each marker on the line it names.
#include <stdio.h>
#include <string.h>

struct point {
	int x;
	int y;
	const char *name;
};

int counter = 7;                           // a global
long total;                                // a global in .bss
struct point origin = {3, -4, "origin"};   // a global struct
const char *greeting = "hello, debugger";  // a string

// fact returns n! recursively.
long fact(int n) {
	if (n <= 1)
		return 1; // LINE:fact-base
	return n * fact(n - 1);
}

// report prints one value and adds it to total.
void report(int i, long v) {
	total += v; // LINE:report-body
	printf("report %d: %ld\n", i, v);
}

// square returns v*v.
int square(int v) {
	int r = v * v; // LINE:square-body
	return r;
}

int main(void) {
	int squares[10]; // a local array
	for (int i = 0; i < 10; i++) {
		squares[i] = square(i); // LINE:loop-call
		report(i, squares[i]);
		counter++;
	}
	size_t len = strlen(greeting); // LINE:strlen-call
	long f = fact(5);
	origin.x += (int)len;
	printf("len %zu fact %ld total %ld counter %d x %d\n", len, f, total, counter, origin.x); // LINE:final
	return 0;
}
