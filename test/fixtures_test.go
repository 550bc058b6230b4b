package test

import (
	"bytes"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fixture is one program of test/programs and what it does natively.
type fixture struct {
	name    string   // subtest name
	prog    string   // test/programs/<prog>.c
	args    []string // command-line arguments
	env     []string // environment changes (see RunEnv)
	stdin   []byte   // standard input; nil for none
	code    int      // exit status (128+N if killed by signal N)
	det     bool     // output is the same on every run with the same inputs
	differs bool     // two recordings must differ (time, randomness)
	want    []string // substrings of stdout
	wantErr []string // substrings of stderr
}

// execpathOut is what test/programs/execpath.c prints.
const execpathOut = "execve /nonexistent-dir/prog: No such file or directory\n" +
	"execve /etc/passwd/prog: Not a directory\n" +
	"execve /etc/passwd: Permission denied\n" +
	"true along PATH: exit 0\n"

var stdinText = []byte("Hello, rewind!\nsecond line: 12345\n\x00\xff binary tail\n")

var fixtures = []fixture{
	{name: "hello", prog: "hello", code: 3, det: true,
		want: []string{"hello from stdout\n"}, wantErr: []string{"hello from stderr\n"}},
	{name: "nondet", prog: "nondet", differs: true,
		want: []string{"time: ", "clock_realtime: ", "clock_monotonic: ", "gettimeofday: ",
			"getrandom: ", "urandom: ", "rand: ", "rdtsc: ", "rdtscp: ", "pid: ", "ppid: ",
			"stack_addr: 0x", "heap_addr: 0x", "cpu: "}},
	{name: "files", prog: "files", det: true,
		want: []string{"before rename: 3 entries: alpha.txt beta.txt gamma.txt\n",
			"after rename: 3 entries: beta.txt delta.txt gamma.txt\n",
			"stat new name: exists size=17\n", "after unlink: 0 entries:\n",
			"rmdir: ok, opendir now fails\n"}},
	{name: "mmapfile", prog: "mmapfile", det: true,
		want: []string{"map whole: sum 8329303495508690944, equal 1\n",
			"map offset 1 page: sum 5672057825011236864, equal 1\n",
			"map shared: sum 8329303495508690944, after writing it 2996249033160327168\n",
			"map private after writing: sum 2996249033160327168\n",
			"mremap grown filled: sum 11479575347382648832\n", "done\n"}},
	{name: "execpath", prog: "execpath", det: true, want: []string{execpathOut}},
	{name: "segv", prog: "segv", det: true,
		want: []string{"fault 1: si_addr=0x10 si_code=1\n", "fault 2: si_addr=0xdead000 si_code=1\n",
			"fault 3: si_addr=page+0x18 si_code=2\n", "survived 3 faults\n"}},
	{name: "raise", prog: "raise", det: true,
		want: []string{"SIGUSR1 via raise: count=1 si_code=-6 si_pid==getpid: 1\n",
			"SIGUSR2 via kill: count=1 si_code=0 si_pid==getpid: 1\n",
			"blocked: SIGUSR1 pending=1 count=1\n", "unblocked: SIGUSR1 pending=0 count=2\n"}},
	{name: "abort", prog: "abort", code: 134, det: true, want: []string{"about to abort\n"}},
	{name: "exitcode", prog: "exitcode", args: []string{"42"}, code: 42, det: true,
		want: []string{"exiting with 42\n"}},
	{name: "stdin", prog: "stdin", stdin: stdinText, det: true,
		want: []string{"length: 49\nfnv1a: 37b9d64c\n", "HELLO, REWIND!\nSECOND LINE: 12345\n"}},
	{name: "cpuid", prog: "cpuid", det: true, want: []string{"vendor: ", "leaf 1 eax: 0x"}},
	{name: "env", prog: "env", args: []string{"one", "two words", ""}, det: true,
		env:  []string{"REWIND_TEST_VAR=from the test"},
		want: []string{"argc: 4\n", "argv[2]: two words\n", "argv[3]: \n", "REWIND_TEST_VAR: from the test\n", "cwd: /"}},
	{name: "threads", prog: "threads", det: true, want: []string{"shared 45 results 6 16 26\n"}},
	{name: "thread_loop", prog: "thread_loop", args: []string{"300"}, det: true, want: []string{"total 3606 tls 900 seen 299 299\n"}},
	{name: "syscalls", prog: "syscalls", args: []string{"20000"}, det: true,
		want: []string{"iterations: 20000 writes: 20000\n"}},
	{name: "cpuloop", prog: "cpuloop", args: []string{"30000000"}, det: true,
		want: []string{"iterations: 30000000 hash: d83ca1f80e74e515\n"}},
	{name: "demo", prog: "demo", want: []string{"final balance: ", "(expected 550)\n"}},
	{name: "reverse", prog: "reverse", det: true, want: []string{"sum 14280 calls 120 total 285 w3 12\n"}},
	{name: "debugme", prog: "debugme", det: true, want: []string{"report 9: 81\n", "len 15 fact 120 total 285 counter 17 x 18\n"}},
	{name: "sigint_handler", prog: "sigint_handler", det: true, want: []string{"got SIGINT (1)\n"}},
	{name: "seccomp_filter", prog: "seccomp_filter", det: true,
		want: []string{"uname fails: Operation not permitted\n", "getppid by syscall fails: Permission denied\n",
			"getpid ok\n", "thread: uname fails: Operation not permitted\n",
			"child: uname fails: Operation not permitted\n", "child killed by signal 31\n"}},
	// Not det: the children finish in either order, on either CPU.
	{name: "spin_children", prog: "spin_children", args: []string{"20000000"},
		want: []string{"child a: sum 10335320052494567296, apic id ", "child b: sum 10335320052494567296, apic id "}},
	// Not det: the lines interleave differently every run.
	{name: "interleaved_output", prog: "interleaved_output", args: []string{"300"},
		want: []string{"line: child 0 299\n", "line: child 1 299\n", "line: child 2 299\n"}},
	{name: "vfork_exec", prog: "vfork_exec", det: true, want: []string{"child exited 0\n"}},
	{name: "bypass", prog: "bypass", differs: true,
		want: []string{"parent: read ", "child: LD_PRELOAD unset\n", "child exited 0\n"}},
}

// checkOutput checks r's code and the wanted substrings of f.
func (f fixture) checkOutput(t *testing.T, what string, r Result) {
	t.Helper()
	if r.Code != f.code {
		t.Errorf("%s: exit code %d, want %d\n%s", what, r.Code, f.code, r)
	}
	for _, w := range f.want {
		if !bytes.Contains(r.Stdout, []byte(w)) {
			t.Errorf("%s: stdout lacks %q\n%s", what, w, r)
		}
	}
	for _, w := range f.wantErr {
		if !bytes.Contains(r.Stderr, []byte(w)) {
			t.Errorf("%s: stderr lacks %q\n%s", what, w, r)
		}
	}
}

// TestFixturesNative runs every fixture without rewind: the expectations the
// end-to-end tests rely on hold for the programs themselves.
func TestFixturesNative(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			prog := Build(t, f.prog)
			work := t.TempDir()
			r := RunEnv(t, work, f.env, f.stdin, prog, f.args...)
			f.checkOutput(t, "native", r)
			if f.name == "env" && !bytes.Contains(r.Stdout, []byte("cwd: "+work+"\n")) {
				t.Errorf("env: cwd is not %s\n%s", work, r)
			}
			if f.det {
				again := RunEnv(t, work, f.env, f.stdin, prog, f.args...)
				if !bytes.Equal(again.Stdout, r.Stdout) || !bytes.Equal(again.Stderr, r.Stderr) {
					t.Errorf("deterministic fixture printed differently twice:\nfirst:\n%s\nsecond:\n%s", r, again)
				}
			}
		})
	}
}

// TestFixturesCompileCleanly builds every fixture with -Wall -Wextra -Werror.
func TestFixturesCompileCleanly(t *testing.T) {
	for _, name := range programNames(t) {
		t.Run(name, func(t *testing.T) {
			Build(t, name, "-Wall", "-Wextra", "-Werror")
		})
	}
}

// TestFixturesListed checks that every program in test/programs is in the
// fixtures table, so none escapes the end-to-end tests.
func TestFixturesListed(t *testing.T) {
	listed := make(map[string]bool)
	for _, f := range fixtures {
		listed[f.prog] = true
	}
	for _, name := range programNames(t) {
		if !listed[name] {
			t.Errorf("test/programs/%s.c is not in the fixtures table", name)
		}
	}
}

// TestBuildOnce checks that Build memoizes per (name, flags) and keeps the
// program's name as the binary's name.
func TestBuildOnce(t *testing.T) {
	a := Build(t, "hello")
	b := Build(t, "hello")
	c := Build(t, "hello", "-DUNUSED=1")
	if a != b {
		t.Errorf("Build twice gave %s and %s", a, b)
	}
	if a == c {
		t.Errorf("Build with other flags gave the same binary %s", a)
	}
	for _, p := range []string{a, c} {
		if !filepath.IsAbs(p) || filepath.Base(p) != "hello" {
			t.Errorf("Build gave %s, want an absolute path to a binary named hello", p)
		}
	}
}

// TestRunReportsSignals checks Run's 128+N convention.
func TestRunReportsSignals(t *testing.T) {
	r := Run(t, "", nil, "sh", "-c", "kill -TERM $$")
	if r.Code != 128+15 {
		t.Errorf("sh killed by SIGTERM: code %d, want 143", r.Code)
	}
	r = Run(t, "", []byte("x"), "sh", "-c", "cat; exit 7")
	if r.Code != 7 || string(r.Stdout) != "x" {
		t.Errorf("sh -c 'cat; exit 7': %s", r)
	}
}

func programNames(t *testing.T) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(ProgramsDir(), "*.c"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no fixtures in %s: %v", ProgramsDir(), err)
	}
	var names []string
	for _, m := range matches {
		names = append(names, strings.TrimSuffix(filepath.Base(m), ".c"))
	}
	sort.Strings(names)
	return names
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"A=1", "B=2", "C=3"}, []string{"B", "C=4", "D=5"})
	want := []string{"A=1", "C=4", "D=5"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
}

// TestProbes runs every probe of Require, reports what this machine has, and
// checks that an unknown feature is an error.
func TestProbes(t *testing.T) {
	for _, f := range Features() {
		t.Logf("%s: %v", f, Has(f))
	}
	if Has("no-such-feature") == nil {
		t.Errorf("Has(no-such-feature) = nil, want an error")
	}
}
