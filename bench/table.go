package main

import (
	"fmt"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// A table prints as aligned text or, for bench/README.md, as markdown.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print(markdown bool) {
	if markdown {
		fmt.Println(mdRow(t.header))
		fmt.Println(strings.Repeat("|---", len(t.header)) + "|")
		for _, r := range t.rows {
			fmt.Println(mdRow(r))
		}
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	for _, r := range append([][]string{t.header}, t.rows...) {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
}

func mdRow(cells []string) string {
	escaped := make([]string, len(cells))
	for i, c := range cells {
		escaped[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return "| " + strings.Join(escaped, " | ") + " |"
}

func fmtDur(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1e3)
	}
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func fmtRatio(r float64) string {
	switch {
	case r < 10:
		return fmt.Sprintf("%.2fx", r)
	case r < 100:
		return fmt.Sprintf("%.1fx", r)
	}
	return fmt.Sprintf("%.0fx", r)
}

func fmtMB(bytes int64) string { return fmt.Sprintf("%.1f", float64(bytes)/1e6) }

func ratio(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }

func geomean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}
