// pipe_backpressure_threads: a writer thread pushes 1 MiB through a pipe
// (whose buffer is far smaller, so the writer blocks over and over) to a
// reader thread that reads in odd-sized pieces; the checksum comes out
// equal on both ends.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#define TOTAL (1 << 20)

static int p[2];
static uint32_t wsum, rsum;
static long rbytes;

static void *writer(void *arg) {
	(void)arg;
	unsigned char buf[8192];
	uint32_t h = 2166136261u;
	for (long off = 0; off < TOTAL; off += sizeof buf) {
		for (size_t i = 0; i < sizeof buf; i++) {
			buf[i] = (unsigned char)((off + i) * 7 + (off + i) / 4096);
			h = (h ^ buf[i]) * 16777619u;
		}
		size_t done = 0;
		while (done < sizeof buf) {
			ssize_t w = write(p[1], buf + done, sizeof buf - done);
			if (w <= 0)
				return NULL;
			done += w;
		}
	}
	wsum = h;
	close(p[1]);
	return NULL;
}

static void *reader(void *arg) {
	(void)arg;
	unsigned char buf[1000];
	uint32_t h = 2166136261u;
	ssize_t r;
	while ((r = read(p[0], buf, sizeof buf - (rbytes % 7))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			h = (h ^ buf[i]) * 16777619u;
		rbytes += r;
	}
	rsum = h;
	return NULL;
}

int main(void) {
	alarm(5);
	pipe(p);
	pthread_t w, r;
	pthread_create(&r, NULL, reader, NULL);
	pthread_create(&w, NULL, writer, NULL);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	printf("bytes read: %ld\n", rbytes);
	printf("checksums: writer %08x reader %08x equal %d\n", wsum, rsum, wsum == rsum);
	return rbytes == TOTAL && wsum == rsum ? 0 : 1;
}
