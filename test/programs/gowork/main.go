// gowork: a Go program that exercises what the Go runtime does under
// rewind's syscall buffer (test/static_test.go): goroutines on several
// threads doing file work, timers, CPU-bound loops that sysmon preempts
// with SIGURG, a signal received through os/signal, and a child process
// (the program itself, started through vfork and exec). Everything it
// prints is fixed; how the goroutines interleave is not.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		fmt.Println("child", os.Getpid() > 0)
		return
	}
	dir, err := os.MkdirTemp("", "gowork")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)

	const workers = 6
	sums := make([][32]byte, workers)
	spins := make([]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			for i := range 40 {
				name := filepath.Join(dir, fmt.Sprintf("w%d-%d", w, i))
				data := []byte(fmt.Sprintf("worker %d file %d %s", w, i, string(make([]byte, i*37))))
				if err := os.WriteFile(name, data, 0o644); err != nil {
					fail(err)
				}
				back, err := os.ReadFile(name)
				if err != nil {
					fail(err)
				}
				if _, err := os.Stat(name); err != nil {
					fail(err)
				}
				h.Write(back)
				start := time.Now()
				if time.Since(start) < 0 {
					fail(fmt.Errorf("time went backwards"))
				}
			}
			// CPU-bound: long enough that sysmon preempts it.
			x := uint64(w + 1)
			for i := 0; i < 30_000_000; i++ {
				x = x*6364136223846793005 + 1442695040888963407
			}
			spins[w] = x
			copy(sums[w][:], h.Sum(nil))
		}()
	}
	timer := time.NewTimer(5 * time.Millisecond)
	<-timer.C
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		fail(err)
	}
	fmt.Println("signal", <-sigs)
	wg.Wait()
	for w := range workers {
		fmt.Printf("worker %d: %x %x\n", w, sums[w][:8], spins[w])
	}
	out, err := exec.Command(os.Args[0], "child").Output()
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s", out)
	entries, err := os.ReadDir(dir)
	if err != nil {
		fail(err)
	}
	fmt.Println("files", len(entries))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gowork:", err)
	os.Exit(1)
}
