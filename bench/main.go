// Command bench times fixture programs natively, recorded and replayed, in
// one run, and prints the medians and their ratios to the native run.
//
//	go run ./bench [-n 5]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"text/tabwriter"
	"time"
)

type workload struct {
	name string
	src  string // under test/programs
	args []string
}

var workloads = []workload{
	{"syscall-heavy C loop", "syscalls.c", []string{"20000"}},
	{"CPU-bound C loop", "cpuloop.c", []string{"300000000"}},
}

func main() {
	runs := flag.Int("n", 5, "runs of each measurement (the median is reported)")
	flag.Parse()
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(self))
	work, err := os.MkdirTemp("", "rewind-bench")
	check(err)
	defer os.RemoveAll(work)
	rewind := filepath.Join(work, "rewind")
	run(root, "go", "build", "-o", rewind, "./cmd/rewind")

	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "workload\tnative\trecord\treplay\trecord/native\treplay/native\ttrace MB\t\n")
	for _, wl := range workloads {
		bin := filepath.Join(work, wl.src[:len(wl.src)-2])
		run(root, "gcc", "-O2", "-o", bin, filepath.Join("test/programs", wl.src))
		traceDir := filepath.Join(work, "trace-"+filepath.Base(bin))
		native := median(*runs, func() { run(work, bin, wl.args...) })
		record := median(*runs, func() {
			os.RemoveAll(traceDir)
			run(work, rewind, append([]string{"record", "-q", "-o", traceDir, bin}, wl.args...)...)
		})
		replay := median(*runs, func() { run(work, rewind, "replay", "-a", traceDir) })
		fmt.Fprintf(w, "%s\t%v\t%v\t%v\t%.2fx\t%.2fx\t%.1f\t\n", wl.name, round(native), round(record), round(replay),
			record.Seconds()/native.Seconds(), replay.Seconds()/native.Seconds(), float64(dirSize(traceDir))/1e6)
	}
	w.Flush()
	fmt.Printf("\nmedian of %d runs each, measured in one run; %s, %d CPUs\n\n", *runs, runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU())
	benchReverse(root, work, rewind, *runs)
}

func median(n int, f func()) time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		f()
		ds[i] = time.Since(start)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[n/2]
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func run(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s %v: %v\n", name, args, err)
		os.Exit(1)
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

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
