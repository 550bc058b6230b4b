// Command bench times workloads natively, recorded (with and without the
// syscall buffer) and replayed, all in one run, and prints the medians,
// their ratios to the native run, the trace sizes and the recorder's memory;
// then gdb's "record full" on the small C loops, and time travel.
//
//	go run ./bench [-n 5] [-markdown] [-run REGEXP] [-rewind BIN]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// bench is one benchmark run's settings.
type bench struct {
	root, work, rewind string
	runs               int
	timeout            time.Duration
	noBuffer           bool // rewind record has --no-syscall-buffer
}

func main() {
	runs := flag.Int("n", 5, "runs of each measurement (the median is reported)")
	markdown := flag.Bool("markdown", false, "print markdown tables, for bench/README.md")
	only := flag.String("run", "", "only the workloads whose name matches this regexp")
	timeout := flag.Duration("timeout", 10*time.Minute, "limit of one run (go build: 5m at most)")
	rewind := flag.String("rewind", "", "the rewind binary to measure (default: build ./cmd/rewind)")
	reverse := flag.Bool("reverse", true, "also measure time travel")
	flag.Parse()
	filter, err := regexp.Compile(*only)
	check(err)

	_, self, _, _ := runtime.Caller(0)
	b := &bench{root: filepath.Dir(filepath.Dir(self)), runs: max(*runs, 1), timeout: *timeout}
	b.work, err = os.MkdirTemp(memoryDir(), "rewind-bench")
	check(err)
	workDir = b.work
	defer os.RemoveAll(b.work)
	b.rewind, err = filepath.Abs(*rewind)
	check(err)
	if *rewind == "" {
		b.rewind = filepath.Join(b.work, "rewind")
		run(b.root, "go", "build", "-o", b.rewind, "./cmd/rewind")
	}
	help := runTimed(b.work, nil, []string{b.rewind, "record", "--help"}, 30*time.Second)
	b.noBuffer = strings.Contains(help.out, "no-syscall-buffer")

	fmt.Printf("median of %d runs each, measured in one run, %s; %s\n\n", b.runs, time.Now().Format("2006-01-02"), host())
	b.workloadTable(filter).print(*markdown)
	fmt.Printf(legend, float64(selfMaxRSS())/1e3)
	if !b.noBuffer {
		fmt.Println("record -n: n/a, this rewind has no --no-syscall-buffer.")
	}
	if t := b.gdbTable(filter); len(t.rows) > 0 {
		fmt.Println()
		t.print(*markdown)
		fmt.Print(gdbLegend)
	}
	if *reverse {
		fmt.Println()
		b.reverseTable().print(*markdown)
	}
}

const legend = `
record -n: rewind record --no-syscall-buffer. x: the time before it over native.
trace MB/s: trace bytes / record time. RSS MB: the recorder's own peak (VmHWM
of the rewind process). max RSS MB: ru_maxrss of wait4 on it: the largest peak
of rewind, its descendants (the recorded programs) and, since Go starts
children with CLONE_VM, this benchmark process (%.1f MB so far).
`

// selfMaxRSS is this process's peak RSS in KB.
func selfMaxRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

// A result is one workload's measurements; nil: not measured.
type result struct {
	native, record, noBuf, replay *series
	traceBytes                    int64
	err                           error // preparing the workload failed
}

func (b *bench) workloadTable(only *regexp.Regexp) *table {
	t := &table{header: []string{"workload", "native", "record", "x", "record -n", "x", "replay", "x",
		"trace MB", "trace MB/s", "RSS MB", "max RSS MB", "notes"}}
	var recs, noBufs, replays []float64
	for i, wl := range workloads {
		if !only.MatchString(wl.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s\n", wl.name)
		r := b.measureWorkload(i, wl)
		t.add(r.cells(wl.name, b.noBuffer)...)
		recs = appendRatio(recs, r.record, r.native)
		noBufs = appendRatio(noBufs, r.noBuf, r.native)
		replays = appendRatio(replays, r.replay, r.native)
	}
	mean := func(xs []float64) string {
		if len(xs) == 0 {
			return "-"
		}
		return fmtRatio(geomean(xs))
	}
	t.add(fmt.Sprintf("geometric mean (%d of %d recorded)", len(recs), len(t.rows)), "",
		"", mean(recs), "", mean(noBufs), "", mean(replays), "", "", "", "", "")
	return t
}

// measureWorkload prepares a workload in its own directory and measures it
// in each mode; a mode that fails leaves the rest of the row to be measured.
func (b *bench) measureWorkload(i int, wl workload) result {
	dir := filepath.Join(b.work, fmt.Sprint("w", i))
	defer os.RemoveAll(dir)
	j, err := prepareIn(dir, b.root, wl)
	if err != nil {
		return result{err: err}
	}
	timeout := b.timeout
	if wl.timeout != 0 {
		timeout = min(timeout, wl.timeout)
	}
	exe := func(argv ...string) func() sample {
		return func() sample { return runTimed(dir, j.env, argv, timeout) }
	}
	trace := filepath.Join(dir, "trace")
	record := func(flags ...string) func() sample {
		argv := append([]string{b.rewind, "record", "-q", "-o", trace}, flags...)
		return exe(append(append(argv, "--"), j.argv...)...)
	}
	resetRecord := func() error {
		if err := os.RemoveAll(trace); err != nil || j.reset == nil {
			return err
		}
		return j.reset()
	}

	var r result
	if b.noBuffer { // apart: it takes minutes where the others take seconds
		r.noBuf = measure(b.runs, resetRecord, record("--no-syscall-buffer"))
	}
	s := interleave(b.runs, step{j.reset, exe(j.argv...)}, step{resetRecord, record()},
		step{nil, exe(b.rewind, "replay", "-a", trace)})
	r.native, r.record, r.replay = s[0], s[1], s[2]
	if r.record.err == nil {
		r.traceBytes = dirSize(trace) // the last round's recording
	}
	return r
}

func prepareIn(dir, root string, wl workload) (job, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return job{}, err
	}
	j, err := wl.prepare(root, dir)
	if err != nil {
		return j, fmt.Errorf("prepare: %v", err)
	}
	return j, nil
}

// cells is the table row of a result; failures are "failed" in their
// column and explained in the notes.
func (r result) cells(name string, noBuffer bool) []string {
	if r.err != nil {
		return []string{name, "failed", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", r.err.Error()}
	}
	var notes []string
	timed := func(mode string, s *series) (string, string) {
		switch {
		case s == nil:
			return "-", "-"
		case s.err != nil:
			notes = append(notes, mode+": "+s.err.Error())
			return "failed", "-"
		case mode == "native":
			return fmtDur(s.median), ""
		}
		return fmtDur(s.median), fmtRatio(ratio(s.median, r.native.median))
	}
	native, _ := timed("native", r.native)
	rec, recX := timed("record", r.record)
	noBuf, noBufX := timed("record -n", r.noBuf)
	if !noBuffer {
		noBuf, noBufX = "n/a", "n/a"
	}
	replay, replayX := timed("replay", r.replay)
	size, rate, own, tree := "-", "-", "-", "-"
	if r.record != nil && r.record.err == nil {
		size = fmtMB(r.traceBytes)
		rate = fmt.Sprintf("%.1f", float64(r.traceBytes)/1e6/r.record.median.Seconds())
		own, tree = fmtMB(r.record.ownKB*1024), fmtMB(r.record.treeKB*1024)
	}
	return []string{name, native, rec, recX, noBuf, noBufX, replay, replayX, size, rate, own, tree, strings.Join(notes, "; ")}
}

func appendRatio(xs []float64, s, native *series) []float64 {
	if s == nil || s.err != nil || native == nil || native.err != nil {
		return xs
	}
	return append(xs, ratio(s.median, native.median))
}

// host names the CPU, the core count and the kernel: ratios are only
// comparable on one host.
func host() string {
	cpu := "unknown CPU"
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
			break
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d CPUs, Linux %s", cpu, runtime.NumCPU(), strings.TrimSpace(string(kernel)))
}

// run is for the benchmark's own set-up, which must work.
func run(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if err := cmd.Run(); err != nil {
		check(fmt.Errorf("%s %v: %v", name, args, err))
	}
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// workDir holds the benchmark's files, removed also when check exits.
var workDir string

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if workDir != "" {
			os.RemoveAll(workDir)
		}
		os.Exit(1)
	}
}

// memoryDir is where the workloads run and write: /dev/shm when it is a
// writable tmpfs with 1 GiB free, so that what is measured is the
// programs and rewind and not the disk (on these VMs a disk's throughput
// moves by 3× or more from minute to minute: cp -a's native time went
// from 0.15 s to 2.4 s by hand). Else the system's temporary directory.
func memoryDir() string {
	var st unix.Statfs_t
	const tmpfsMagic = 0x01021994
	if unix.Statfs("/dev/shm", &st) == nil && st.Type == tmpfsMagic && st.Bavail*uint64(st.Bsize) >= 1<<30 && unix.Access("/dev/shm", unix.W_OK) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}
