// reverse: a fixture for reverse execution. main calls f0 .. f119 once each,
// in order, through a table (so that 120 breakpoints, one per function, are
// hit in order going forward and in the opposite order going backward), then
// runs a loop whose every round changes the globals total and w0 .. w3
// (distinct, aligned words: one debug register each for watchpoints).
#include <stdio.h>

int total;              // changed once per round of the loop
int w0, w1, w2, w3;     // changed by the loop too: watchpoint slots
long calls;             // how many of f0 .. f119 ran

// tally is one round of the loop: total += sq. LINE:tally-body
void tally(int i, int sq) {
	total += sq; // LINE:tally-total
	w0 = i;
	w1 = i + 1;
	w2 = i + 2;
	w3 = i + 3;
}

// The functions f0 .. f119 (generated: one line each, each its own line).
int f0(int x) { calls++; return x + 0; }
int f1(int x) { calls++; return x + 1; }
int f2(int x) { calls++; return x + 2; }
int f3(int x) { calls++; return x + 3; }
int f4(int x) { calls++; return x + 4; }
int f5(int x) { calls++; return x + 5; }
int f6(int x) { calls++; return x + 6; }
int f7(int x) { calls++; return x + 7; }
int f8(int x) { calls++; return x + 8; }
int f9(int x) { calls++; return x + 9; }
int f10(int x) { calls++; return x + 10; }
int f11(int x) { calls++; return x + 11; }
int f12(int x) { calls++; return x + 12; }
int f13(int x) { calls++; return x + 13; }
int f14(int x) { calls++; return x + 14; }
int f15(int x) { calls++; return x + 15; }
int f16(int x) { calls++; return x + 16; }
int f17(int x) { calls++; return x + 17; }
int f18(int x) { calls++; return x + 18; }
int f19(int x) { calls++; return x + 19; }
int f20(int x) { calls++; return x + 20; }
int f21(int x) { calls++; return x + 21; }
int f22(int x) { calls++; return x + 22; }
int f23(int x) { calls++; return x + 23; }
int f24(int x) { calls++; return x + 24; }
int f25(int x) { calls++; return x + 25; }
int f26(int x) { calls++; return x + 26; }
int f27(int x) { calls++; return x + 27; }
int f28(int x) { calls++; return x + 28; }
int f29(int x) { calls++; return x + 29; }
int f30(int x) { calls++; return x + 30; }
int f31(int x) { calls++; return x + 31; }
int f32(int x) { calls++; return x + 32; }
int f33(int x) { calls++; return x + 33; }
int f34(int x) { calls++; return x + 34; }
int f35(int x) { calls++; return x + 35; }
int f36(int x) { calls++; return x + 36; }
int f37(int x) { calls++; return x + 37; }
int f38(int x) { calls++; return x + 38; }
int f39(int x) { calls++; return x + 39; }
int f40(int x) { calls++; return x + 40; }
int f41(int x) { calls++; return x + 41; }
int f42(int x) { calls++; return x + 42; }
int f43(int x) { calls++; return x + 43; }
int f44(int x) { calls++; return x + 44; }
int f45(int x) { calls++; return x + 45; }
int f46(int x) { calls++; return x + 46; }
int f47(int x) { calls++; return x + 47; }
int f48(int x) { calls++; return x + 48; }
int f49(int x) { calls++; return x + 49; }
int f50(int x) { calls++; return x + 50; }
int f51(int x) { calls++; return x + 51; }
int f52(int x) { calls++; return x + 52; }
int f53(int x) { calls++; return x + 53; }
int f54(int x) { calls++; return x + 54; }
int f55(int x) { calls++; return x + 55; }
int f56(int x) { calls++; return x + 56; }
int f57(int x) { calls++; return x + 57; }
int f58(int x) { calls++; return x + 58; }
int f59(int x) { calls++; return x + 59; }
int f60(int x) { calls++; return x + 60; }
int f61(int x) { calls++; return x + 61; }
int f62(int x) { calls++; return x + 62; }
int f63(int x) { calls++; return x + 63; }
int f64(int x) { calls++; return x + 64; }
int f65(int x) { calls++; return x + 65; }
int f66(int x) { calls++; return x + 66; }
int f67(int x) { calls++; return x + 67; }
int f68(int x) { calls++; return x + 68; }
int f69(int x) { calls++; return x + 69; }
int f70(int x) { calls++; return x + 70; }
int f71(int x) { calls++; return x + 71; }
int f72(int x) { calls++; return x + 72; }
int f73(int x) { calls++; return x + 73; }
int f74(int x) { calls++; return x + 74; }
int f75(int x) { calls++; return x + 75; }
int f76(int x) { calls++; return x + 76; }
int f77(int x) { calls++; return x + 77; }
int f78(int x) { calls++; return x + 78; }
int f79(int x) { calls++; return x + 79; }
int f80(int x) { calls++; return x + 80; }
int f81(int x) { calls++; return x + 81; }
int f82(int x) { calls++; return x + 82; }
int f83(int x) { calls++; return x + 83; }
int f84(int x) { calls++; return x + 84; }
int f85(int x) { calls++; return x + 85; }
int f86(int x) { calls++; return x + 86; }
int f87(int x) { calls++; return x + 87; }
int f88(int x) { calls++; return x + 88; }
int f89(int x) { calls++; return x + 89; }
int f90(int x) { calls++; return x + 90; }
int f91(int x) { calls++; return x + 91; }
int f92(int x) { calls++; return x + 92; }
int f93(int x) { calls++; return x + 93; }
int f94(int x) { calls++; return x + 94; }
int f95(int x) { calls++; return x + 95; }
int f96(int x) { calls++; return x + 96; }
int f97(int x) { calls++; return x + 97; }
int f98(int x) { calls++; return x + 98; }
int f99(int x) { calls++; return x + 99; }
int f100(int x) { calls++; return x + 100; }
int f101(int x) { calls++; return x + 101; }
int f102(int x) { calls++; return x + 102; }
int f103(int x) { calls++; return x + 103; }
int f104(int x) { calls++; return x + 104; }
int f105(int x) { calls++; return x + 105; }
int f106(int x) { calls++; return x + 106; }
int f107(int x) { calls++; return x + 107; }
int f108(int x) { calls++; return x + 108; }
int f109(int x) { calls++; return x + 109; }
int f110(int x) { calls++; return x + 110; }
int f111(int x) { calls++; return x + 111; }
int f112(int x) { calls++; return x + 112; }
int f113(int x) { calls++; return x + 113; }
int f114(int x) { calls++; return x + 114; }
int f115(int x) { calls++; return x + 115; }
int f116(int x) { calls++; return x + 116; }
int f117(int x) { calls++; return x + 117; }
int f118(int x) { calls++; return x + 118; }
int f119(int x) { calls++; return x + 119; }

static int (*const fns[120])(int) = {
	f0,
	f1,
	f2,
	f3,
	f4,
	f5,
	f6,
	f7,
	f8,
	f9,
	f10,
	f11,
	f12,
	f13,
	f14,
	f15,
	f16,
	f17,
	f18,
	f19,
	f20,
	f21,
	f22,
	f23,
	f24,
	f25,
	f26,
	f27,
	f28,
	f29,
	f30,
	f31,
	f32,
	f33,
	f34,
	f35,
	f36,
	f37,
	f38,
	f39,
	f40,
	f41,
	f42,
	f43,
	f44,
	f45,
	f46,
	f47,
	f48,
	f49,
	f50,
	f51,
	f52,
	f53,
	f54,
	f55,
	f56,
	f57,
	f58,
	f59,
	f60,
	f61,
	f62,
	f63,
	f64,
	f65,
	f66,
	f67,
	f68,
	f69,
	f70,
	f71,
	f72,
	f73,
	f74,
	f75,
	f76,
	f77,
	f78,
	f79,
	f80,
	f81,
	f82,
	f83,
	f84,
	f85,
	f86,
	f87,
	f88,
	f89,
	f90,
	f91,
	f92,
	f93,
	f94,
	f95,
	f96,
	f97,
	f98,
	f99,
	f100,
	f101,
	f102,
	f103,
	f104,
	f105,
	f106,
	f107,
	f108,
	f109,
	f110,
	f111,
	f112,
	f113,
	f114,
	f115,
	f116,
	f117,
	f118,
	f119,
};

int main(void) {
	long sum = 0;
	for (int k = 0; k < 120; k++)
		sum += fns[k](k); // LINE:call-fn
	for (int i = 0; i < 10; i++) {
		int sq = i * i; // LINE:loop-sq
		tally(i, sq);   // LINE:loop-tally
	}
	printf("sum %ld calls %ld total %d w3 %d\n", sum, calls, total, w3); // LINE:final
	return 0;
}
