// files: file-system syscalls whose results replay must reproduce without
// touching the disk. Exercises mkdtemp under /tmp, open/write/close,
// open/read, fstat/stat, lseek/pread, opendir/readdir (names sorted, since
// readdir order is the file system's), rename, unlink and rmdir. The output
// leaves out the random directory name, inode numbers and times, so it is
// the same on every run.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/rewind-files-XXXXXX";

static void path(char *out, size_t n, const char *name) {
	snprintf(out, n, "%s/%s", dir, name);
}

static void die(const char *what) {
	perror(what);
	exit(1);
}

static int cmp(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *when) {
	DIR *d = opendir(dir);
	if (!d)
		die("opendir");
	char *names[16];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && n < 16)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("%s: %d entries:", when, n);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

int main(void) {
	const char *names[] = {"alpha.txt", "beta.txt", "gamma.txt"};
	char p[256], q[256], buf[256];

	if (!mkdtemp(dir))
		die("mkdtemp");
	printf("mkdtemp: ok\n");

	for (int i = 0; i < 3; i++) {
		path(p, sizeof p, names[i]);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("open for writing");
		for (int j = 0; j <= i; j++) {
			int len = snprintf(buf, sizeof buf, "%s line %d\n", names[i], j);
			if (write(fd, buf, len) != len)
				die("write");
		}
		close(fd);
	}

	for (int i = 0; i < 3; i++) {
		path(p, sizeof p, names[i]);
		int fd = open(p, O_RDONLY);
		if (fd < 0)
			die("open for reading");
		struct stat st;
		if (fstat(fd, &st) < 0)
			die("fstat");
		ssize_t n = read(fd, buf, sizeof buf - 1);
		if (n < 0)
			die("read");
		buf[n] = 0;
		char tail[8] = {0};
		if (pread(fd, tail, 6, st.st_size - 7) != 6)
			die("pread");
		off_t end = lseek(fd, 0, SEEK_END);
		close(fd);
		printf("%s: size=%lld regular=%d mode=%o read=%zd end=%lld tail=%s\n", names[i],
		       (long long)st.st_size, S_ISREG(st.st_mode), (unsigned)(st.st_mode & 0777), n,
		       (long long)end, tail);
		printf("%s", buf);
	}

	list("before rename");
	path(p, sizeof p, "alpha.txt");
	path(q, sizeof q, "delta.txt");
	if (rename(p, q) < 0)
		die("rename");
	struct stat st;
	int old_err = stat(p, &st);
	printf("stat old name: %s\n", old_err < 0 ? "ENOENT" : "exists");
	int new_err = stat(q, &st);
	printf("stat new name: %s size=%lld\n", new_err < 0 ? "ENOENT" : "exists",
	       new_err < 0 ? -1LL : (long long)st.st_size);
	list("after rename");

	const char *left[] = {"beta.txt", "delta.txt", "gamma.txt"};
	for (int i = 0; i < 3; i++) {
		path(p, sizeof p, left[i]);
		if (unlink(p) < 0)
			die("unlink");
	}
	list("after unlink");
	if (rmdir(dir) < 0)
		die("rmdir");
	printf("rmdir: ok, opendir now %s\n", opendir(dir) ? "succeeds" : "fails");
	return 0;
}
