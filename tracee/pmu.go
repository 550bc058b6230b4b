package tracee

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"rewind/trace"
)

// Tick mode (docs/design.md) counts a thread's progress in retired
// conditional branches, as rr does: the count is exact and deterministic
// where instructions or cycles are not. This file finds the PMU event that
// counts them on this CPU and opens it; nothing records by ticks yet.

// TickEvent is the raw PMU event that counts retired conditional branches
// on one microarchitecture.
type TickEvent struct {
	Name   string // microarchitecture, as rr names it
	Config uint64 // perf_event_attr.config for PERF_TYPE_RAW
}

// Raw event configs, from rr's src/PerfCounters.cc (pmu_configs).
const (
	intelRCB     = 0x5101c4      // BR_INST_RETIRED.CONDITIONAL: Nehalem to Comet Lake
	intelRCBCond = 0x5111c4      // BR_INST_RETIRED.COND: Ice Lake and later
	intelRCBLNL  = 0x100005111c4 // the same with umask2 (config bits 40-47): Lunar and Arrow Lake
	intelAtomRCB = 0x517ec4      // BR_INST_RETIRED.JCC: Silvermont and later Atoms
	amdZenRCB    = 0x5100d1      // event 0xd1, retired conditional branches: all Zen
)

// intelModels maps Intel family 6 models (as /proc/cpuinfo shows them,
// extended model included) to their microarchitecture; transcribed from
// rr's compute_cpu_microarch. Config 0: the CPU has no usable counter.
var intelModels = map[uint32]TickEvent{
	0x0f: {"Intel Merom", 0}, 0x16: {"Intel Merom", 0},
	0x17: {"Intel Penryn", 0}, 0x1d: {"Intel Penryn", 0},
	0x1a: {"Intel Nehalem", intelRCB}, 0x1e: {"Intel Nehalem", intelRCB}, 0x2e: {"Intel Nehalem", intelRCB},
	0x25: {"Intel Westmere", intelRCB}, 0x2c: {"Intel Westmere", intelRCB}, 0x2f: {"Intel Westmere", intelRCB},
	0x2a: {"Intel Sandy Bridge", intelRCB}, 0x2d: {"Intel Sandy Bridge", intelRCB}, 0x3e: {"Intel Sandy Bridge", intelRCB},
	0x3a: {"Intel Ivy Bridge", intelRCB},
	0x3c: {"Intel Haswell", intelRCB}, 0x3f: {"Intel Haswell", intelRCB}, 0x45: {"Intel Haswell", intelRCB}, 0x46: {"Intel Haswell", intelRCB},
	0x3d: {"Intel Broadwell", intelRCB}, 0x47: {"Intel Broadwell", intelRCB}, 0x4f: {"Intel Broadwell", intelRCB}, 0x56: {"Intel Broadwell", intelRCB},
	0x4e: {"Intel Skylake", intelRCB}, 0x55: {"Intel Skylake", intelRCB}, 0x5e: {"Intel Skylake", intelRCB},
	0x8e: {"Intel Kaby Lake", intelRCB}, 0x9e: {"Intel Kaby Lake", intelRCB},
	0xa5: {"Intel Comet Lake", intelRCB}, 0xa6: {"Intel Comet Lake", intelRCB},
	0x6a: {"Intel Ice Lake", intelRCBCond}, 0x7e: {"Intel Ice Lake", intelRCBCond}, 0x86: {"Intel Ice Lake", intelRCBCond},
	0x8c: {"Intel Tiger Lake", intelRCBCond}, 0x8d: {"Intel Tiger Lake", intelRCBCond},
	0xa7: {"Intel Rocket Lake", intelRCBCond},
	0x97: {"Intel Alder Lake", intelRCBCond}, 0x9a: {"Intel Alder Lake", intelRCBCond},
	0xb7: {"Intel Raptor Lake", intelRCBCond}, 0xba: {"Intel Raptor Lake", intelRCBCond}, 0xbf: {"Intel Raptor Lake", intelRCBCond},
	0x8f: {"Intel Sapphire Rapids", intelRCBCond},
	0xcf: {"Intel Emerald Rapids", intelRCBCond},
	0xad: {"Intel Granite Rapids", intelRCBCond},
	0xaa: {"Intel Meteor Lake", intelRCBCond},
	0xbd: {"Intel Lunar Lake", intelRCBLNL},
	0xb5: {"Intel Arrow Lake", intelRCBLNL}, 0xc5: {"Intel Arrow Lake", intelRCBLNL}, 0xc6: {"Intel Arrow Lake", intelRCBLNL},
	0x37: {"Intel Silvermont", intelAtomRCB}, 0x4c: {"Intel Silvermont", intelAtomRCB}, 0x57: {"Intel Silvermont", intelAtomRCB},
	0x5c: {"Intel Goldmont", intelAtomRCB}, 0x5f: {"Intel Goldmont", intelAtomRCB}, 0x7a: {"Intel Goldmont", intelAtomRCB},
	0x9c: {"Intel Tremont", intelAtomRCB},
	0xbe: {"Intel Gracemont", intelAtomRCB},
}

// TickEventFor returns the event counting retired conditional branches on
// the CPU of this vendor, family and model (as /proc/cpuinfo shows them).
func TickEventFor(vendor string, family, model uint32) (TickEvent, error) {
	switch vendor {
	case "GenuineIntel":
		ev, ok := intelModels[model]
		if family != 6 || !ok {
			return TickEvent{}, fmt.Errorf("unknown CPU model family %d model %d (%s): rewind knows no retired-conditional-branch event for it", family, model, vendor)
		}
		if ev.Config == 0 {
			return TickEvent{}, fmt.Errorf("%s (family %d model %d) has no retired-conditional-branch counter", ev.Name, family, model)
		}
		return ev, nil
	case "AuthenticAMD":
		// rr tells Zen generations apart by model, but they all count
		// with event 0xd1, so the family is enough.
		switch family {
		case 0x17:
			return TickEvent{"AMD Zen/Zen 2", amdZenRCB}, nil
		case 0x19:
			return TickEvent{"AMD Zen 3/Zen 4", amdZenRCB}, nil
		case 0x1a:
			return TickEvent{"AMD Zen 5", amdZenRCB}, nil
		case 0x15:
			// rr counts taken branches there, a different kind of tick.
			return TickEvent{}, fmt.Errorf("AMD family 15h (model %d) has no retired-conditional-branch counter", model)
		}
		return TickEvent{}, fmt.Errorf("unknown CPU model family %d model %d (%s): rewind knows no retired-conditional-branch event for it", family, model, vendor)
	}
	return TickEvent{}, fmt.Errorf("unknown CPU vendor %q: rewind knows retired-conditional-branch events of Intel and AMD CPUs only", vendor)
}

// hostTickEvent is the event of the CPU rewind runs on.
var hostTickEvent = sync.OnceValues(func() (TickEvent, error) {
	c := trace.HostCPU()
	return TickEventFor(c.Vendor, c.Family, c.Model)
})

// TickCounter counts the retired conditional branches of one thread, in
// user space only.
type TickCounter struct {
	fd    int
	Event TickEvent
}

// OpenTicks starts counting the retired conditional branches of thread
// tid (0: the calling thread) from now on.
func OpenTicks(tid int) (*TickCounter, error) {
	ev, err := hostTickEvent()
	if err != nil {
		return nil, err
	}
	if hybridCPU() {
		// The raw type is the P-cores' PMU there: a thread moved to an
		// E-core would stop counting. rr opens one event per core type.
		return nil, errors.New("hybrid CPU (P- and E-cores): tick counting is not supported on it yet")
	}
	fd, err := openCounter(tid, unix.PERF_TYPE_RAW, ev.Config)
	if err != nil {
		return nil, fmt.Errorf("perf_event_open (raw event %#x, %s): %w", ev.Config, ev.Name, explainOpen(err))
	}
	return &TickCounter{fd: fd, Event: ev}, nil
}

func openCounter(tid int, typ uint32, config uint64) (int, error) {
	attr := unix.PerfEventAttr{
		Type:   typ,
		Config: config,
		// Only the program's own code: the kernel's branches vary from
		// run to run. Pinned: never multiplexed, so no branch is missed
		// (an event that loses its counter reads as end of file).
		Bits: unix.PerfBitExcludeKernel | unix.PerfBitExcludeGuest | unix.PerfBitPinned,
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	return unix.PerfEventOpen(&attr, tid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
}

// explainOpen says why perf_event_open failed, in the user's terms.
func explainOpen(err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV):
		if _, serr := os.Stat("/sys/bus/event_source/devices/cpu"); serr != nil {
			return fmt.Errorf("%w: this machine has no PMU (a VM without a virtual PMU?)", err)
		}
		return fmt.Errorf("%w: the PMU does not know this event", err)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		p, _ := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
		return fmt.Errorf("%w: not permitted (kernel.perf_event_paranoid is %s; counting user space needs at most 2, or CAP_PERFMON)",
			err, strings.TrimSpace(string(p)))
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EBUSY):
		return fmt.Errorf("%w: the PMU cannot give rewind a counter of its own (in use, or a virtual PMU lacking features)", err)
	}
	return err
}

// hybridCPU reports whether the CPU has two kinds of cores, each with its
// own PMU.
func hybridCPU() bool {
	_, err := os.Stat("/sys/bus/event_source/devices/cpu_atom")
	return err == nil
}

// Read returns the number of branches counted so far.
func (c *TickCounter) Read() (uint64, error) {
	var b [8]byte
	n, err := unix.Read(c.fd, b[:])
	if err != nil {
		return 0, fmt.Errorf("reading the tick counter: %w", err)
	}
	if n != len(b) {
		// A pinned event that could not stay on the PMU.
		return 0, errors.New("reading the tick counter: it lost its PMU counter (another user of the PMU?)")
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// Close stops counting.
func (c *TickCounter) Close() error { return unix.Close(c.fd) }

// probeLoops is the length of ProbeTicks' loop: long enough to dwarf what
// a signal handler run meanwhile would add.
const probeLoops = 1_000_000

var probeSink int

// branchLoop executes n conditional branches at least (the loop's own
// test), at most 2n (the if, unless compiled to a cmov).
//
//go:noinline
func branchLoop(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			s++
		}
	}
	return s
}

// ProbeTicks checks that retired conditional branches can be counted
// here: it counts those of a known loop on the calling thread. The error
// says why not (no PMU, unknown CPU, not permitted, ...). It does not
// check what rr also works around to make counts exact (AMD Zen's
// SpecLockMap, hypervisor bugs): tick mode itself will have to.
func ProbeTicks() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := OpenTicks(0)
	if err != nil {
		return err
	}
	defer c.Close()
	before, err := c.Read()
	if err != nil {
		return err
	}
	probeSink = branchLoop(probeLoops)
	after, err := c.Read()
	if err != nil {
		return err
	}
	return checkProbeCount(after-before, c.Event)
}

// checkProbeCount judges what the counter counted over branchLoop(probeLoops).
func checkProbeCount(n uint64, ev TickEvent) error {
	switch {
	case n == 0:
		return fmt.Errorf("the tick counter (raw event %#x, %s) opened but counted no branches in a loop of %d: the PMU does not count (a virtual PMU that is a stub?)",
			ev.Config, ev.Name, probeLoops)
	case n < probeLoops || n > 3*probeLoops:
		return fmt.Errorf("the tick counter (raw event %#x, %s) counted %d conditional branches in a loop that has %d to %d: not plausible, the event may be wrong for this CPU",
			ev.Config, ev.Name, n, probeLoops, 2*probeLoops)
	}
	return nil
}
