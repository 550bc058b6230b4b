package replayer

import (
	"errors"
	"fmt"

	"rewind/trace"
	"rewind/tracee"
)

// ErrTickMode is wrapped by the error Open returns for a trace recorded in
// tick mode.
var ErrTickMode = errors.New("this trace was recorded in tick mode (positions counted by the PMU)")

// checkMode refuses traces this build cannot replay. Only soft mode is
// implemented: a tick-mode trace's preemptions and signals are at branch
// counts, which replay would have to count too (and nothing records such
// traces yet, but a newer rewind or a hand-made header may).
func checkMode(h *trace.Header, probe func() error) error {
	switch h.Mode {
	case "soft":
		return nil
	case "ticks":
		why := "this build of rewind cannot replay tick-mode traces yet"
		if err := probe(); err != nil {
			why += fmt.Sprintf(", and replaying one needs a PMU counting retired conditional branches, which this machine lacks (%v)", err)
		}
		return fmt.Errorf("%w: %s", ErrTickMode, why)
	}
	return fmt.Errorf("this trace was recorded in mode %q, which this build of rewind does not know", h.Mode)
}

// checkHeaderMode is checkMode with the host's PMU probe.
func checkHeaderMode(h *trace.Header) error { return checkMode(h, tracee.ProbeTicks) }
