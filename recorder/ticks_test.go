package recorder

import (
	"errors"
	"strings"
	"testing"
)

// fakeProbe returns a probe that fails with err (nil: passes) and counts
// its calls.
func fakeProbe(err error, calls *int) func() error {
	return func() error { *calls++; return err }
}

var errNoPMU = errors.New("perf_event_open: no such device: this machine has no PMU")

func TestSelectTicks(t *testing.T) {
	for _, c := range []struct {
		want     TickMode
		probeErr error
		mode     string
		warn     string // substring; "" means no warning
		err      string // substring; "" means no error
		probes   int    // times the probe must run
	}{
		{TicksAuto, nil, "ticks", "", "", 1},
		{TicksAuto, errNoPMU, "soft", "", "", 1},
		{"", errNoPMU, "soft", "", "", 1},
		{TicksPMU, nil, "ticks", "", "", 1},
		{TicksPMU, errNoPMU, "", "", "no such device: this machine has no PMU", 1},
		{TicksSoft, nil, "soft", "", "", 0},
		{TicksSoft, errNoPMU, "soft", "", "", 0},
		{"fast", nil, "", "", "auto, pmu or soft", 0},
	} {
		calls := 0
		mode, warn, err := SelectTicks(c.want, fakeProbe(c.probeErr, &calls))
		name := string(c.want) + "/" + map[bool]string{true: "no PMU", false: "PMU"}[c.probeErr != nil]
		checkTicks(t, name, mode, warn, err, c.mode, c.warn, c.err)
		if calls != c.probes {
			t.Errorf("%s: probe ran %d times, want %d", name, calls, c.probes)
		}
		if c.probeErr != nil && c.err != "" && !errors.Is(err, c.probeErr) {
			t.Errorf("%s: error %v does not wrap the probe's", name, err)
		}
	}
}

// Until tick mode is implemented, a recording never gets "ticks": auto
// falls back to soft (with a note where a PMU would count), pmu fails
// saying why.
func TestRecordModeTicks(t *testing.T) {
	for _, c := range []struct {
		want     TickMode
		probeErr error
		mode     string
		warn     string
		err      string
	}{
		{TicksAuto, nil, "soft", "tick counting is not implemented yet; recording in soft mode", ""},
		{TicksAuto, errNoPMU, "soft", "", ""},
		{TicksPMU, nil, "", "", "tick mode is not implemented yet"},
		{TicksPMU, errNoPMU, "", "", "this machine has no PMU"},
		{TicksSoft, nil, "soft", "", ""},
		{"PMU", nil, "", "", "auto, pmu or soft"},
	} {
		calls := 0
		mode, warn, err := recordMode(c.want, fakeProbe(c.probeErr, &calls))
		checkTicks(t, string(c.want), mode, warn, err, c.mode, c.warn, c.err)
	}
}

func checkTicks(t *testing.T, name, mode, warn string, err error, wantMode, wantWarn, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Errorf("%s: unexpected error %v", name, err)
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Errorf("%s: error %v, want one containing %q", name, err, wantErr)
	}
	if mode != wantMode {
		t.Errorf("%s: mode %q, want %q", name, mode, wantMode)
	}
	if wantWarn == "" && warn != "" || wantWarn != "" && !strings.Contains(warn, wantWarn) {
		t.Errorf("%s: warning %q, want %q", name, warn, wantWarn)
	}
	if strings.Contains(warn, "\n") {
		t.Errorf("%s: warning %q is more than one line", name, warn)
	}
}
