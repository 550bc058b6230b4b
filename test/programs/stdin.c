// stdin: input from the user's stdin, which replay must supply from the
// trace. Reads all of stdin, prints its length and FNV-1a checksum, then
// echoes it upper-cased.
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
	size_t len = 0, cap = 4096;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(0, buf + len, cap - len);
		if (n < 0) {
			perror("read");
			return 1;
		}
		if (n == 0)
			break;
		len += n;
	}
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 16777619u;
	printf("length: %zu\nfnv1a: %08x\n", len, h);
	for (size_t i = 0; i < len; i++)
		buf[i] = toupper(buf[i]);
	fwrite(buf, 1, len, stdout);
	free(buf);
	return 0;
}
