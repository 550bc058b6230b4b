// Package test holds rewind's fixture programs and the helpers that the
// end-to-end tests of every package share: building fixtures and the rewind
// binary once per process, running commands with a timeout, and skipping
// (or, under CI, failing) when the machine lacks a feature.
//
// A package's tests use it like this:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		test.Cleanup()
//		os.Exit(code)
//	}
//
//	func TestHello(t *testing.T) {
//		test.Require(t, "ptrace")
//		prog := test.Build(t, "hello")
//		r := test.Run(t, t.TempDir(), nil, test.Rewind(t), "record", "--", prog)
//		...
//	}
package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DefaultCFlags are passed to gcc before the flags given to Build.
var DefaultCFlags = []string{"-g", "-O0", "-fno-omit-frame-pointer"}

// RunTimeout bounds every command started by Run. A command still running
// then is killed (with its whole process group) and the test fails.
var RunTimeout = 120 * time.Second

// buildResult is the memoized outcome of one build.
type buildResult struct {
	once sync.Once
	path string
	err  error
}

var (
	mu      sync.Mutex
	tmpDir  string                  // created on first use, removed by Cleanup
	builds  map[string]*buildResult // key: name + "\x00" + flags
	nbuilds int                     // names the per-build subdirectories
	rewind  *buildResult
)

// sourceDir is the directory of this file: the test/ folder of the module.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("test: runtime.Caller failed")
	}
	return filepath.Dir(file)
}

// ProgramsDir returns the absolute path of test/programs.
func ProgramsDir() string { return filepath.Join(sourceDir(), "programs") }

// ModuleRoot returns the absolute path of the rewind module (the folder
// holding go.mod).
func ModuleRoot() string { return filepath.Dir(sourceDir()) }

// tempDirLocked returns the per-process temporary directory, creating it if
// needed. mu must be held.
func tempDirLocked() (string, error) {
	if tmpDir != "" {
		return tmpDir, nil
	}
	d, err := os.MkdirTemp("", "rewind-test-")
	if err != nil {
		return "", err
	}
	tmpDir = d
	return d, nil
}

// Build compiles test/programs/<name>.c with gcc (DefaultCFlags, then flags)
// and returns the absolute path of the binary. Each (name, flags) pair is
// built once per process; the binary is named <name> whatever the flags, so
// traces named after the executable stay predictable. It lives in a
// temporary directory that Cleanup removes. A failed build fails t with
// gcc's output.
func Build(t testing.TB, name string, flags ...string) string {
	t.Helper()
	Require(t, "gcc")

	return buildOnce(t, "Build", name+"\x00"+strings.Join(flags, "\x00"), name, func(path string) error {
		src := filepath.Join(ProgramsDir(), name+".c")
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("no such fixture: %w", err)
		}
		// Flags go after the source so that -l options link.
		args := append([]string{}, DefaultCFlags...)
		args = append(args, "-o", path, src)
		args = append(args, flags...)
		return runBuild(exec.Command("gcc", args...))
	})
}

// buildOnce runs build once per process for key (the test helper what,
// building name), into <temporary dir>/pN/<name>, and returns the path.
// A failed build fails t.
func buildOnce(t testing.TB, what, key, name string, build func(path string) error) string {
	t.Helper()
	mu.Lock()
	dir, err := tempDirLocked()
	if err != nil {
		mu.Unlock()
		t.Fatalf("test.%s: %v", what, err)
	}
	if builds == nil {
		builds = make(map[string]*buildResult)
	}
	b := builds[key]
	if b == nil {
		b = &buildResult{}
		builds[key] = b
		nbuilds++
		b.path = filepath.Join(dir, fmt.Sprintf("p%d", nbuilds), name)
	}
	mu.Unlock()

	b.once.Do(func() {
		if err := os.MkdirAll(filepath.Dir(b.path), 0o755); err != nil {
			b.err = err
			return
		}
		b.err = build(b.path)
	})
	if b.err != nil {
		t.Fatalf("test.%s(%q): %v", what, name, b.err)
	}
	return b.path
}

// runBuild runs a compiler, its output in the error if it fails.
func runBuild(cmd *exec.Cmd) error {
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

// Rewind returns the path of a rewind binary built from ./cmd/rewind of this
// module, once per process (go build, run at the module root). If the
// environment variable REWIND_BIN names an executable, that is used instead.
// A failed build fails t with the compiler's output.
func Rewind(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("REWIND_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatalf("REWIND_BIN: %v", err)
		}
		return abs
	}

	mu.Lock()
	dir, err := tempDirLocked()
	if err != nil {
		mu.Unlock()
		t.Fatalf("test.Rewind: %v", err)
	}
	if rewind == nil {
		rewind = &buildResult{path: filepath.Join(dir, "rewind")}
	}
	b := rewind
	mu.Unlock()

	b.once.Do(func() {
		// go test puts $GOROOT/bin first on PATH, so this is the go
		// command that runs the tests.
		cmd := exec.Command("go", "build", "-o", b.path, "./cmd/rewind")
		cmd.Dir = ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build -o %s ./cmd/rewind (in %s): %v\n%s", b.path, cmd.Dir, err, out)
		}
	})
	if b.err != nil {
		t.Fatalf("building rewind: %v", b.err)
	}
	return b.path
}

// Cleanup removes every binary built by Build and Rewind. Call it from
// TestMain after m.Run. Later calls to Build or Rewind build again.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	tmpDir = ""
	builds = nil
	nbuilds = 0
	rewind = nil
}

// Result is what a command run by Run did.
type Result struct {
	Stdout, Stderr []byte
	// Code is the exit status, or 128+N when signal N killed the command
	// (as a shell reports it).
	Code int
}

// String summarizes r for failure messages.
func (r Result) String() string {
	return fmt.Sprintf("exit code %d\n--- stdout:\n%s\n--- stderr:\n%s", r.Code, clip(r.Stdout), clip(r.Stderr))
}

// clip shortens long output for messages, keeping both ends.
func clip(b []byte) string {
	const max = 4096
	if len(b) <= max {
		return string(b)
	}
	return fmt.Sprintf("%s\n[... %d bytes ...]\n%s", b[:max/2], len(b)-max, b[len(b)-max/2:])
}

// Run runs name with args in dir (the current directory if dir is ""),
// with stdin as its standard input (none if nil) and the test's environment,
// and returns its output and exit status. A command that does not end
// within RunTimeout is killed with its process group and fails t; so does
// one that cannot be started.
func Run(t testing.TB, dir string, stdin []byte, name string, args ...string) Result {
	t.Helper()
	return RunEnv(t, dir, nil, stdin, name, args...)
}

// RunEnv is Run with changes to the environment: each entry of env is
// either "KEY=VALUE", which sets KEY, or "KEY", which removes it.
func RunEnv(t testing.TB, dir string, env []string, stdin []byte, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = mergeEnv(os.Environ(), env)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// A group of its own, so that a timeout also kills what the command
	// started (a tracee, a shell's children).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Don't wait forever for pipes held open by an escaped grandchild.
	cmd.WaitDelay = 10 * time.Second

	err := cmd.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("%s: still running after %v, killed\n--- stdout:\n%s\n--- stderr:\n%s",
			strings.Join(cmd.Args, " "), RunTimeout, clip(res.Stdout), clip(res.Stderr))
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		res.Code = 0
	case errors.As(err, &exitErr):
		ws, ok := exitErr.Sys().(syscall.WaitStatus)
		switch {
		case ok && ws.Signaled():
			res.Code = 128 + int(ws.Signal())
		default:
			res.Code = exitErr.ExitCode()
		}
	default:
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, res)
	}
	return res
}

// mergeEnv applies changes ("KEY=VALUE" sets, "KEY" removes) to base.
func mergeEnv(base, changes []string) []string {
	if len(changes) == 0 {
		return base
	}
	drop := make(map[string]bool)
	for _, c := range changes {
		k, _, _ := strings.Cut(c, "=")
		drop[k] = true
	}
	var out []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	for _, c := range changes {
		if strings.Contains(c, "=") {
			out = append(out, c)
		}
	}
	return out
}
