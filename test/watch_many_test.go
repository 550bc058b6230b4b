package test

import (
	"fmt"
	"testing"
)

// TestReverseGDBSixteenWatchpoints sets 16 watchpoints at once (every byte
// of w0 .. w3 of the reverse fixture) with page protection, far beyond the
// four debug registers, and checks forward and backward stops.
func TestReverseGDBSixteenWatchpoints(t *testing.T) {
	Require(t, "ptrace")
	Require(t, "gdb")
	trace, _ := recordTrace(t, Build(t, "reverse"))
	steps := []gdbStep{
		{cmd: "set pagination off"},
		{cmd: "set confirm off"},
		{cmd: "break tally if i == 5"},
		{cmd: "continue", want: `Breakpoint 1, tally \(i=5, sq=25\)`},
		{cmd: "delete"},
	}
	for _, w := range []string{"w0", "w1", "w2", "w3"} {
		for b := 0; b < 4; b++ {
			steps = append(steps, gdbStep{cmd: fmt.Sprintf("watch -l *((char*)&%s+%d)", w, b), want: `atchpoint \d+: -location`})
		}
	}
	steps = append(steps,
		// Round 5 sets w0 from 4 to 5: its low byte changes first.
		gdbStep{cmd: "continue", want: `(?s)atchpoint 2: -location \*\(\(char\*\)&w0\+0\)\n\nOld value = 4 '\\004'\nNew value = 5 '\\005'`},
		gdbStep{cmd: "continue", want: `(?s)atchpoint 6: -location \*\(\(char\*\)&w1\+0\)\n\nOld value = 5 '\\005'\nNew value = 6 '\\006'`},
		gdbStep{cmd: "reverse-continue", want: `(?s)atchpoint 6: -location \*\(\(char\*\)&w1\+0\)\n\nOld value = 6 '\\006'\nNew value = 5 '\\005'`},
		gdbStep{cmd: "reverse-continue", want: `(?s)atchpoint 2: -location \*\(\(char\*\)&w0\+0\)\n\nOld value = 5 '\\005'\nNew value = 4 '\\004'`},
		gdbStep{cmd: "print w0", want: gdbValue("4")},
	)
	runGDBSteps(t, trace, []string{"--watchpoints=page"}, steps)
}
