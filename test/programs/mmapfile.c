// mmapfile: address-space syscalls that replay executes for real and checks
// against the trace, over file data that must come from the trace. Exercises
// a 3-page file mapped PROT_READ MAP_PRIVATE (whole, and from an offset of
// one page), a shared writable mapping the program writes through, the
// file mapped privately again after that (a new copy), munmap,
// an anonymous mapping, mprotect and mremap growing it.
// Prints checksums, which are the same on every run.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void die(const char *what) {
	perror(what);
	exit(1);
}

static unsigned long sum(const unsigned char *p, size_t n) {
	unsigned long s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

int main(void) {
	long page = sysconf(_SC_PAGESIZE);
	size_t size = 3 * page;
	char name[] = "/tmp/rewind-mmap-XXXXXX";
	int fd = mkstemp(name);
	if (fd < 0)
		die("mkstemp");
	unsigned char *data = malloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 7 + i / page);
	if (write(fd, data, size) != (ssize_t)size)
		die("write");
	printf("file: %zu bytes, sum %lu\n", size, sum(data, size));

	unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		die("mmap file");
	printf("map whole: sum %lu, equal %d\n", sum(m, size), memcmp(m, data, size) == 0);
	unsigned char *o = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, fd, page);
	if (o == MAP_FAILED)
		die("mmap offset");
	printf("map offset 1 page: sum %lu, equal %d\n", sum(o, 2 * page),
	       memcmp(o, data + page, 2 * page) == 0);
	if (munmap(m, size) < 0 || munmap(o, 2 * page) < 0)
		die("munmap");
	// Shared and writable, changed through the mapping at once: replay
	// must map the file as it was when mapped, not as it was left.
	unsigned char *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		die("mmap shared");
	unsigned long before = sum(sh, size);
	memset(sh, 0xab, size);
	printf("map shared: sum %lu, after writing it %lu\n", before, sum(sh, size));
	if (munmap(sh, size) < 0)
		die("munmap");
	// Private again, after the writes: the data written, not the copy of
	// the file taken at the first mapping.
	unsigned char *again = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (again == MAP_FAILED)
		die("mmap again");
	printf("map private after writing: sum %lu\n", sum(again, size));
	if (munmap(again, size) < 0)
		die("munmap");
	close(fd);
	unlink(name);
	free(data);

	unsigned char *a = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		die("mmap anonymous");
	printf("anonymous: zero sum %lu\n", sum(a, 2 * page));
	for (long i = 0; i < 2 * page; i++)
		a[i] = (unsigned char)(i ^ (i >> 8));
	if (mprotect(a, 2 * page, PROT_READ) < 0)
		die("mprotect");
	printf("anonymous after mprotect: sum %lu\n", sum(a, 2 * page));
	if (mprotect(a, 2 * page, PROT_READ | PROT_WRITE) < 0)
		die("mprotect");
	unsigned char *g = mremap(a, 2 * page, 4 * page, MREMAP_MAYMOVE);
	if (g == MAP_FAILED)
		die("mremap");
	printf("mremap grown: old part sum %lu, new part zero sum %lu\n", sum(g, 2 * page),
	       sum(g + 2 * page, 2 * page));
	memset(g + 2 * page, 0x5a, 2 * page);
	printf("mremap grown filled: sum %lu\n", sum(g, 4 * page));
	if (munmap(g, 4 * page) < 0)
		die("munmap");
	printf("done\n");
	return 0;
}
