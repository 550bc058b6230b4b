package replayer

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"rewind/trace"
)

func TestCheckModeTicks(t *testing.T) {
	noPMU := errors.New("perf_event_open: no such file or directory: this machine has no PMU")
	for _, c := range []struct {
		mode  string
		probe error
		want  []string // substrings of the error; none: no error
	}{
		{"soft", noPMU, nil},
		{"ticks", nil, []string{"recorded in tick mode", "cannot replay tick-mode traces yet"}},
		{"ticks", noPMU, []string{"recorded in tick mode", "cannot replay", "which this machine lacks", "no PMU"}},
		{"fast", nil, []string{`mode "fast"`}},
	} {
		err := checkMode(&trace.Header{Mode: c.mode}, func() error { return c.probe })
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.mode, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", c.mode)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.mode, err, w)
			}
		}
	}
}

// Open refuses a tick-mode trace before starting anything.
func TestOpenTicksTrace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "trace")
	w, err := trace.Create(dir, &trace.Header{Mode: "ticks", Exe: "/bin/true", Args: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(true); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{})
	if err == nil {
		s.Close()
		t.Fatal("a tick-mode trace opened for replay")
	}
	if !errors.Is(err, ErrTickMode) || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the trace and tick mode", err)
	}
	t.Log(err)
}
