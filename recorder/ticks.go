package recorder

import (
	"errors"
	"fmt"
	"sync"

	"rewind/tracee"
)

// TickMode says how positions within a frame are to be counted
// (docs/design.md, "Positions in time").
type TickMode string

const (
	TicksAuto TickMode = "auto" // ticks where the PMU counts them, else soft
	TicksPMU  TickMode = "pmu"  // ticks, or fail
	TicksSoft TickMode = "soft" // fingerprints; the PMU is not even probed
)

// SelectTicks decides the mode a recording asked for want gets, as the
// trace header's Mode names it: "ticks" or "soft". probe says whether the
// PMU counts retired conditional branches (tracee.ProbeTicks). Auto falls
// back to soft mode silently: on VMs without a PMU that is the normal case
// (rewind doctor says why).
func SelectTicks(want TickMode, probe func() error) (mode, warn string, err error) {
	switch want {
	case TicksSoft:
		return "soft", "", nil
	case TicksAuto, "":
		if probe() != nil {
			return "soft", "", nil
		}
		return "ticks", "", nil
	case TicksPMU:
		if err := probe(); err != nil {
			return "", "", fmt.Errorf("--ticks=pmu: no tick counter here: %w", err)
		}
		return "ticks", "", nil
	}
	return "", "", fmt.Errorf("--ticks must be auto, pmu or soft, not %q", want)
}

// ticksImplemented is false: the recorder only records positions by
// fingerprint (soft mode). ProbeTicks finds the counter, but nothing
// counts with it or records ticks yet.
const ticksImplemented = false

// errTicksNotImplemented is what --ticks=pmu gets where the PMU works.
var errTicksNotImplemented = errors.New("--ticks=pmu: this machine's PMU counts conditional branches, but tick mode is not implemented yet (record with --ticks=soft or auto)")

// recordMode is the mode a recording uses: SelectTicks', except that
// "ticks" becomes soft mode (auto) or an error (pmu) until tick mode is
// implemented.
func recordMode(want TickMode, probe func() error) (mode, warn string, err error) {
	mode, warn, err = SelectTicks(want, probe)
	if err != nil || mode != "ticks" || ticksImplemented {
		return mode, warn, err
	}
	if want == TicksPMU {
		return "", "", errTicksNotImplemented
	}
	return "soft", "the PMU counts conditional branches, but tick counting is not implemented yet; recording in soft mode", nil
}

// probeTicks runs the PMU probe once per process: the answer does not
// change, and recordings in tests are many.
var probeTicks = sync.OnceValue(tracee.ProbeTicks)

// CheckTicks reports whether a recording with want can start here, so
// the command line can refuse before it makes a trace directory.
func CheckTicks(want TickMode) error {
	_, _, err := recordMode(want, probeTicks)
	return err
}
