// rwlock: pthread_rwlock_t. Writers keep two variables equal under the
// write lock; readers check them under the read lock and never see them
// differ. Also: two read locks at once, and trywrlock failing with EBUSY
// while a read lock is held.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define READERS 3
#define WRITERS 2
#define ITER 20000

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long a, b;
static long mismatches[READERS];

static void *writer(void *arg) {
	(void)arg;
	for (int i = 0; i < ITER; i++) {
		pthread_rwlock_wrlock(&rw);
		a++;
		b++;
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static void *reader(void *arg) {
	long i = (long)arg;
	for (int k = 0; k < ITER; k++) {
		pthread_rwlock_rdlock(&rw);
		if (a != b)
			mismatches[i]++;
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static int held_try_rd, held_try_wr;

static void *try_while_held(void *arg) {
	(void)arg;
	held_try_rd = pthread_rwlock_tryrdlock(&rw);
	if (held_try_rd == 0)
		pthread_rwlock_unlock(&rw);
	held_try_wr = pthread_rwlock_trywrlock(&rw);
	if (held_try_wr == 0)
		pthread_rwlock_unlock(&rw);
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_t r[READERS], w[WRITERS], t;
	for (long i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, (void *)i);
	for (int i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer, NULL);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	long bad = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(r[i], NULL);
		bad += mismatches[i];
	}
	printf("a=%ld b=%ld mismatches seen by readers: %ld\n", a, b, bad);

	pthread_rwlock_rdlock(&rw);
	pthread_create(&t, NULL, try_while_held, NULL);
	pthread_join(t, NULL);
	pthread_rwlock_unlock(&rw);
	printf("while read-locked: tryrdlock=%d trywrlock=%s\n", held_try_rd,
	       held_try_wr == EBUSY ? "EBUSY" : "?");
	return bad == 0 && a == WRITERS * ITER && held_try_rd == 0 && held_try_wr == EBUSY ? 0 : 1;
}
