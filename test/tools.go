package test

// Helpers for the tests that drive other debuggers' own tools: Delve's dlv
// binary (installed by "scripts/setup.sh test"), rewind's rr link that
// Delve runs, the kernel setting Delve's rr backend insists on, and Go
// fixture programs.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// dlvPath finds dlv once per process: $DLV, then the project's .tools/bin
// (where scripts/setup.sh test installs it), then $(go env GOPATH)/bin,
// then PATH.
var dlvPath = sync.OnceValues(func() (string, error) {
	var tried []string
	try := func(p string) (string, bool) {
		tried = append(tried, p)
		if err := probeCommand(p, "version"); err != nil {
			return "", false
		}
		return p, true
	}
	if p := os.Getenv("DLV"); p != "" {
		if p, ok := try(p); ok {
			return p, nil
		}
		return "", fmt.Errorf("$DLV=%s does not run", p)
	}
	if p, ok := try(filepath.Join(ModuleRoot(), ".tools", "bin", "dlv")); ok {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if p, ok := try(filepath.Join(dir, "bin", "dlv")); ok {
				return p, nil
			}
		}
	}
	if p, err := exec.LookPath("dlv"); err == nil {
		if p, ok := try(p); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("no dlv in %s or on PATH (scripts/setup.sh test installs the Delve that go.mod names)", strings.Join(tried, ", "))
})

// skipOrFail skips t, or fails it when the environment variable CI is
// set, as Require does.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+" (CI is set: not skipping)", args...)
	}
	t.Skipf(format, args...)
}

// Dlv returns the path of Delve's dlv command, or skips t (fails it under
// CI) when there is none.
func Dlv(t testing.TB) string {
	t.Helper()
	p, err := dlvPath()
	if err != nil {
		skipOrFail(t, "needs dlv: %v", err)
	}
	return p
}

var (
	rrLinkMu  sync.Mutex
	rrLinkDir string
)

// RRLinkDir returns a directory that holds only "rr", a link to the
// rewind binary of Rewind made with "rewind install-rr-link": put first
// on PATH, it is the rr that Delve runs. It is made once per process.
func RRLinkDir(t testing.TB) string {
	t.Helper()
	rw := Rewind(t)
	rrLinkMu.Lock()
	defer rrLinkMu.Unlock()
	if rrLinkDir != "" {
		if _, err := os.Stat(filepath.Join(rrLinkDir, "rr")); err == nil {
			return rrLinkDir
		}
	}
	mu.Lock()
	dir, err := tempDirLocked()
	mu.Unlock()
	if err != nil {
		t.Fatalf("test.RRLinkDir: %v", err)
	}
	dir = filepath.Join(dir, "rr-link")
	r := Run(t, "", nil, rw, "install-rr-link", dir)
	if r.Code != 0 {
		t.Fatalf("rewind install-rr-link %s: %s", dir, r)
	}
	rrLinkDir = dir
	return dir
}

// perfEventParanoid is the setting that Delve's rr backend checks.
const perfEventParanoid = "/proc/sys/kernel/perf_event_paranoid"

// LowerPerfEventParanoid makes perf_event_paranoid at most level until t
// ends, then restores it. Delve refuses to run rr above 1, although
// rewind itself does not need it. Tests that call it must not run in
// parallel with each other. Without the right to write it (not root), t is
// skipped (failed under CI).
func LowerPerfEventParanoid(t testing.TB, level int) {
	t.Helper()
	b, err := os.ReadFile(perfEventParanoid)
	if errors.Is(err, os.ErrNotExist) {
		return // Delve only checks it where it exists
	}
	if err != nil {
		t.Fatal(err)
	}
	old := strings.TrimSpace(string(b))
	if n, err := strconv.Atoi(old); err == nil && n <= level {
		return
	}
	if err := os.WriteFile(perfEventParanoid, []byte(strconv.Itoa(level)), 0o644); err != nil {
		skipOrFail(t, "needs %s <= %d for Delve's rr backend (it is %s): %v", perfEventParanoid, level, old, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(perfEventParanoid, []byte(old), 0o644); err != nil {
			t.Errorf("restoring %s to %s: %v", perfEventParanoid, old, err)
		}
	})
}

// BuildGo builds the Go program in test/programs/<name>/ without
// optimizations or inlining (so that debuggers see every variable), once
// per process, and returns the binary's path. Like Build's binaries it is
// named <name> and removed by Cleanup.
func BuildGo(t testing.TB, name string) string {
	t.Helper()
	return buildOnce(t, "BuildGo", "go\x00"+name, name, func(path string) error {
		cmd := exec.Command("go", "build", "-gcflags=all=-N -l", "-o", path, "./"+filepath.ToSlash(filepath.Join("test", "programs", name)))
		cmd.Dir = ModuleRoot()
		return runBuild(cmd)
	})
}
