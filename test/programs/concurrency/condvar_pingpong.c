// condvar_pingpong: two threads hand a turn back and forth through one
// mutex and one condition variable, ROUNDS times each. Each side appends to
// a log; the log must alternate strictly.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define ROUNDS 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn; // 0: ping's turn, 1: pong's
static char seq[2 * ROUNDS + 1];
static int nseq;

static void *player(void *arg) {
	int me = (int)(long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		while (turn != me)
			pthread_cond_wait(&cond, &lock);
		seq[nseq++] = me ? 'o' : 'i';
		turn = !me;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(void) {
	alarm(5);
	pthread_t a, b;
	pthread_create(&b, NULL, player, (void *)1L);
	pthread_create(&a, NULL, player, (void *)0L);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	int bad = 0;
	for (int i = 0; i < nseq; i++)
		if (seq[i] != (i % 2 ? 'o' : 'i'))
			bad++;
	printf("exchanges: %d\n", nseq);
	printf("out of order: %d\n", bad);
	printf("first: %.6s\n", seq);
	return bad == 0 && nseq == 2 * ROUNDS ? 0 : 1;
}
