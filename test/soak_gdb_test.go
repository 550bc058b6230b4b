package test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A gdb session of 200 random forward and reverse commands on the demo:
// wherever it lands, the state must be the one a forward-only replay has
// there. A forward-only session notes the balance at every stop in
// deposit() (each round deposits a different amount); the random session
// must see that balance whenever it stops at that breakpoint for the same
// amount, however it got there, and gdb must never lose the target.
func TestSoakGDBRandomWalk(t *testing.T) {
	requireSoak(t)
	Require(t, "gdb")
	trace, _ := demoTrace(t)
	n := soakIterations(200)
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("REWIND_SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (REWIND_SOAK_SEED repeats it)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	defer func(d time.Duration) { gdbSessionTimeout = d }(gdbSessionTimeout)
	gdbSessionTimeout = 20 * time.Minute

	forward := map[string]string{} // amount → balance at the breakpoint in deposit()
	fwd := []gdbStep{{cmd: "set pagination off"}, {cmd: "break deposit"}}
	for i := 0; i < 10; i++ {
		amount := new(string)
		fwd = append(fwd, gdbStep{cmd: "continue", check: func(t *testing.T, out string) { *amount = amountIn(out) }},
			gdbStep{cmd: "print balance", check: func(t *testing.T, out string) { forward[*amount] = valueOf(out) }})
	}
	runGDBSteps(t, trace, nil, fwd)
	if len(forward) != 10 {
		t.Fatalf("the forward replay stopped in deposit for %d distinct amounts, want 10: %v", len(forward), forward)
	}

	commands := []string{"continue", "reverse-continue", "stepi", "reverse-stepi", "next", "reverse-next",
		"step", "reverse-step", "finish", "reverse-finish"}
	type point struct {
		ev         int
		pc, amount string
	}
	seen := map[point]string{}
	checked := 0
	steps := []gdbStep{{cmd: "set pagination off"}, {cmd: "set confirm off"}, {cmd: "break deposit"}}
	for i := 0; i < n; i++ {
		cmd := commands[rng.IntN(len(commands))]
		ev, pc, amount := new(int), new(string), new(string)
		steps = append(steps,
			// At the ends of history, or "finish" out of main, a command
			// fails: the state must be right all the same.
			gdbStep{cmd: cmd, mayFail: true, check: func(t *testing.T, out string) { *amount = amountIn(out) }},
			whenStep(ev, nil), pcStep(pc, nil),
			// Named with its file: once back at the start, gdb 13 may take
			// a bare "balance" for a symbol without debug information.
			gdbStep{cmd: "print 'demo.c'::balance", check: func(t *testing.T, out string) {
				b := valueOf(out)
				seen[point{*ev, *pc, *amount}] = b
				if want, ok := forward[*amount]; ok {
					checked++
					if b != want {
						t.Errorf("step %d %q: balance %s at the breakpoint for deposit(%s), the forward replay had %s", i, cmd, b, *amount, want)
					}
				}
			}})
	}
	runGDBSteps(t, trace, nil, steps)
	t.Logf("%d random commands visited %d distinct points; %d stops at the breakpoint matched the forward replay", n, len(seen), checked)
}

// amountIn returns the amount of a stop at the breakpoint in deposit(),
// or "" for any other stop.
func amountIn(out string) string {
	if m := regexp.MustCompile(`Breakpoint 1, deposit \(amount=(-?\d+)\)`).FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// valueOf returns the value gdb printed for "print X".
func valueOf(out string) string {
	if m := regexp.MustCompile(`\$\d+ = (.*)`).FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return fmt.Sprintf("<%s>", strings.TrimSpace(out))
}
