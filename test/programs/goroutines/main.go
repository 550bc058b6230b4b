// goroutines: a worker pool for the Delve tests (test/delve_test.go). Four
// workers take the numbers 1..8 from a channel and compute work(n); the
// results are printed in order. Which worker runs which call differs from
// run to run, but every value is fixed: work(n) = (1²+…+n²) mod 1000.
package main

import (
	"fmt"
	"sync"
)

const (
	workers = 4
	jobs    = 8
)

// work is the function the tests break in.
func work(n int) int {
	sum := 0
	for i := 1; i <= n; i++ {
		sum += i * i
	}
	result := sum % 1000 // LINE:result
	return result
}

func main() {
	in := make(chan int)
	out := make([]int, jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range in {
				out[n-1] = work(n)
			}
		}()
	}
	for n := 1; n <= jobs; n++ {
		in <- n
	}
	close(in)
	wg.Wait()
	total := 0
	for i, r := range out {
		fmt.Printf("work(%d) = %d\n", i+1, r)
		total += r
	}
	fmt.Printf("total %d\n", total)
}
