// demo: the bundled time-travel demo (make demo). Ten deposits should leave
// balance at 550, but one goes wrong by a random amount, so each recording
// ends with a different balance. Find the bad deposit by going backwards:
//   rewind record ./demo && rewind replay
//   (gdb) break demo.c:42          <- the final printf: balance is wrong here
//   (gdb) continue
//   (gdb) watch balance
//   (gdb) reverse-continue         <- stops in deposit() at the bad update
//   (gdb) up                       <- see which round and which amount
#include <stdio.h>
#include <sys/random.h>

int balance; // the account; every change goes through deposit()

// deposit adds amount to balance. A good place for "break deposit".
void deposit(int amount) {
	balance += amount; // the line a watchpoint on balance stops after
}

// fee returns a "random" fee between 0 and 99, read with getrandom(2).
int fee(void) {
	unsigned char r = 0;
	if (getrandom(&r, 1, 0) != 1)
		return 0;
	return r % 100;
}

// amount_for returns what round should deposit: 10, 20, ..., 100.
int amount_for(int round) {
	int amount = 10 * (round + 1);
	if (round == 6)
		amount = -fee() - 1; // the bug: subtracts a fee instead of adding 70
	return amount;
}

int main(void) {
	for (int round = 0; round < 10; round++) {
		int amount = amount_for(round); // "break amount_for if round == 6"
		deposit(amount);
	}
	// Expected 550; anything else means a bad deposit happened above.
	printf("final balance: %d (expected 550)\n", balance);
	return 0;
}
