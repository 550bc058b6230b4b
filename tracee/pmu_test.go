package tracee

import (
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"rewind/trace"
)

func TestTicksEventFor(t *testing.T) {
	for _, c := range []struct {
		vendor        string
		family, model uint32
		config        uint64
		err           string // substring of the error, if one is expected
	}{
		{"GenuineIntel", 6, 0x3c, 0x5101c4, ""},      // Haswell
		{"GenuineIntel", 6, 0x55, 0x5101c4, ""},      // Skylake-SP
		{"GenuineIntel", 6, 0x9e, 0x5101c4, ""},      // Kaby/Coffee Lake
		{"GenuineIntel", 6, 0x6a, 0x5111c4, ""},      // Ice Lake-SP
		{"GenuineIntel", 6, 0x8f, 0x5111c4, ""},      // Sapphire Rapids
		{"GenuineIntel", 6, 0xbd, 0x100005111c4, ""}, // Lunar Lake
		{"GenuineIntel", 6, 0x5c, 0x517ec4, ""},      // Goldmont
		{"AuthenticAMD", 0x17, 0x31, 0x5100d1, ""},   // Zen 2 (Rome)
		{"AuthenticAMD", 0x19, 0x11, 0x5100d1, ""},   // Zen 4 (Genoa)
		{"AuthenticAMD", 0x1a, 0x24, 0x5100d1, ""},   // Zen 5
		{"GenuineIntel", 6, 0x17, 0, "Intel Penryn (family 6 model 23) has no retired-conditional-branch counter"},
		{"GenuineIntel", 6, 0x01, 0, "unknown CPU model family 6 model 1 "},
		{"GenuineIntel", 15, 0x06, 0, "unknown CPU model family 15 model 6 "},
		{"AuthenticAMD", 0x15, 0x02, 0, "AMD family 15h"},
		{"AuthenticAMD", 0x10, 0x04, 0, "unknown CPU model family 16 model 4 "},
		{"HygonGenuine", 0x18, 0x00, 0, `unknown CPU vendor "HygonGenuine"`},
	} {
		ev, err := TickEventFor(c.vendor, c.family, c.model)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s family %#x model %#x: %v", c.vendor, c.family, c.model, err)
		case c.err == "" && ev.Config != c.config:
			t.Errorf("%s family %#x model %#x: config %#x (%s), want %#x", c.vendor, c.family, c.model, ev.Config, ev.Name, c.config)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s family %#x model %#x: error %v, want one containing %q", c.vendor, c.family, c.model, err, c.err)
		}
	}
}

// Every Intel model with a counter uses one of the events rr uses.
func TestTicksEventTable(t *testing.T) {
	for m, ev := range intelModels {
		switch ev.Config {
		case 0, intelRCB, intelRCBCond, intelRCBLNL, intelAtomRCB:
		default:
			t.Errorf("model %#x (%s): unexpected config %#x", m, ev.Name, ev.Config)
		}
	}
}

// The probe passes on a host with a PMU and fails with a reason without
// one (this project's VMs): either is right, the log says which.
func TestProbeTicks(t *testing.T) {
	c := trace.HostCPU()
	err := ProbeTicks()
	if err == nil {
		t.Logf("%s (family %#x model %#x): tick counting works here", c.Brand, c.Family, c.Model)
		return
	}
	t.Logf("%s (family %#x model %#x): no tick counting: %v", c.Brand, c.Family, c.Model, err)
	if msg := err.Error(); len(msg) < 20 || strings.Contains(msg, "%!") {
		t.Errorf("unclear error: %q", msg)
	}
}

// The counter's plumbing (attributes, read, close) works with a software
// event, which every kernel has, so it is tested even without a PMU.
func TestTicksCounterPlumbing(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fd, err := openCounter(0, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_TASK_CLOCK)
	if err != nil {
		t.Skipf("no software perf events here: %v", err)
	}
	c := &TickCounter{fd: fd}
	defer c.Close()
	a, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	probeSink = branchLoop(probeLoops)
	b, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if b <= a {
		t.Errorf("task clock went from %d to %d ns over a loop", a, b)
	}
}

func TestTicksProbeCount(t *testing.T) {
	ev := TickEvent{"AMD Zen 3/Zen 4", amdZenRCB}
	for _, c := range []struct {
		n   uint64
		err string
	}{
		{0, "counted no branches"},
		{probeLoops - 1, "not plausible"},
		{probeLoops, ""},
		{probeLoops*4/3 + 17, ""},
		{2 * probeLoops, ""},
		{10 * probeLoops, "not plausible"},
	} {
		err := checkProbeCount(c.n, ev)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("count %d: %v, want %q", c.n, err, c.err)
		}
	}
}
