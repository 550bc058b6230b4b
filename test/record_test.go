package test

// End-to-end tests of the rewind command line: record, replay -a, the
// inspection commands, doctor, errors on bad input, and where traces go.
//
// The contract they check:
//   - rewind record [-o DIR] [--] PROG ARGS... runs PROG with the user's
//     stdin/stdout/stderr/env/cwd and exits with PROG's status (128+N if
//     signal N killed it), 127 if PROG is missing.
//   - The trace goes to DIR, else $REWIND_TRACE_DIR/<exe>-N, else
//     ~/.local/share/rewind/<exe>-N, with a latest-trace symlink beside it.
//     It holds header.json ("format_version"), events and files/, and an
//     incomplete marker only while recording.
//   - rewind replay -a [TRACE] re-emits what the program wrote to fds 1
//     and 2 and exits with the recorded status; 124 on divergence, 125 for
//     rewind's own errors (bad trace, usage).
//   - rewind's own messages go to stderr, prefixed "rewind:". Such lines
//     are left out when a recording's stderr is compared with the program's.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rewind/trace"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// replays is how many times each recording is replayed.
const replays = 3

// recCase is one program to record and replay.
type recCase struct {
	fixture
	cmd   string                          // a command on PATH instead of a fixture
	needs string                          // feature for Require, if any
	setup func(t *testing.T, work string) // prepares the working directory
	check func(t *testing.T, rec Result)  // extra checks of the recording
	flags []string                        // for rewind record
}

// bufferModes are the ways every fixture is recorded: with the syscall
// buffer and without it.
var bufferModes = []struct {
	name  string
	flags []string
}{{"buffer", nil}, {"nobuffer", []string{"--no-syscall-buffer"}}}

// bothModes runs c recorded both ways, as subtests.
func bothModes(t *testing.T, c recCase) {
	for _, m := range bufferModes {
		c.flags = m.flags
		t.Run(m.name, func(t *testing.T) { recordAndReplay(t, c) })
	}
}

// TestRecordReplayFixtures records every fixture and replays it.
func TestRecordReplayFixtures(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) { bothModes(t, recCase{fixture: f}) })
	}
}

// TestRecordReplayPrograms records real programs and replays them.
func TestRecordReplayPrograms(t *testing.T) {
	var bigSum [sha256.Size]byte
	cases := []recCase{
		{fixture: fixture{name: "ls", args: []string{"-la", "/usr/share"}, det: true,
			want: []string{"total "}}, cmd: "ls"},
		{fixture: fixture{name: "date"}, cmd: "date"},
		{fixture: fixture{name: "sha256sum", args: []string{"big.bin"}, det: true}, cmd: "sha256sum",
			setup: func(t *testing.T, work string) {
				data := make([]byte, 64<<20)
				if _, err := io.ReadFull(rand.Reader, data); err != nil {
					t.Fatal(err)
				}
				bigSum = sha256.Sum256(data)
				if err := os.WriteFile(filepath.Join(work, "big.bin"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, rec Result) {
				want := fmt.Sprintf("%x  big.bin\n", bigSum)
				if string(rec.Stdout) != want {
					t.Errorf("recorded sha256sum printed %q, want %q", rec.Stdout, want)
				}
			}},
		{fixture: fixture{name: "python3", differs: true, args: []string{"-c",
			"import random,time,os; print(random.random(), time.time(), os.getpid(), os.urandom(8).hex())"}},
			cmd: "/usr/bin/python3", needs: "python3"},
		{fixture: fixture{name: "sqlite3", differs: true, want: []string{"\n3\n"}, args: []string{":memory:",
			"select random(), datetime('now'); create table t(x); insert into t values(1),(2); select sum(x) from t;"}},
			cmd: "sqlite3", needs: "sqlite3"},
		// A pipeline of processes started by a shell.
		{fixture: fixture{name: "sh-pipeline", det: true, args: []string{"-c",
			"seq 1 3000 | sort -rn | head -3 | tr 0-9 a-j; ls /usr/share | wc -l | tr -d ' \n'; echo; echo done"}},
			cmd: "sh", check: stdoutHas("daaa\ncjjj\ncjji\n", "\ndone\n")},
		// make -j2 of a small C project (-B: every run builds it all),
		// which then runs what it built.
		{fixture: fixture{name: "make-j2", det: true, args: []string{"-s", "-j2", "-B"}},
			cmd: "make", needs: "gcc", setup: writeCProject, check: stdoutHas("f1 5050\n", "f5 624250\n")},
		// Python with threads and signal handlers.
		{fixture: fixture{name: "python3-threads-signals", det: true, args: []string{"-c", pythonThreadsSignals}},
			cmd: "/usr/bin/python3", needs: "python3", check: stdoutHas("[10, 14]\n")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { bothModes(t, c) })
	}
}

// stdoutHas checks a recording printed each of want.
func stdoutHas(want ...string) func(t *testing.T, rec Result) {
	return func(t *testing.T, rec Result) {
		for _, w := range want {
			if !strings.Contains(string(rec.Stdout), w) {
				t.Errorf("the recording printed %q, want %q in it", rec.Stdout, w)
			}
		}
	}
}

// writeCProject writes a small C project into work: six files of
// functions, a main calling each, and a Makefile whose default target
// builds the program and runs it.
func writeCProject(t *testing.T, work string) {
	var decls, calls strings.Builder
	files := map[string]string{}
	for i := range 6 {
		files[fmt.Sprintf("f%d.c", i)] = fmt.Sprintf("int f%[1]d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %[1]d + 1; return s; }\n", i)
		fmt.Fprintf(&decls, "int f%d(int);\n", i)
		fmt.Fprintf(&calls, "\tprintf(\"f%[1]d %%d\\n\", f%[1]d(%[1]d00));\n", i)
	}
	files["main.c"] = "#include <stdio.h>\n" + decls.String() + "int main(void) {\n" + calls.String() + "\treturn 0;\n}\n"
	files["Makefile"] = "OBJS := $(patsubst %.c,%.o,$(wildcard *.c))\nrun: prog\n\t./prog\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%.o: %.c\n\t$(CC) -O2 -c -o $@ $<\n"
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pythonThreadsSignals runs four threads while signals reach handlers
// (one sent to itself, one from a timer); what it prints is fixed.
const pythonThreadsSignals = `
import os, signal, threading, time
got = []
signal.signal(signal.SIGUSR1, lambda n, f: got.append(n))
signal.signal(signal.SIGALRM, lambda n, f: got.append(n))
results = [0] * 4
def work(i):
    s = 0
    for k in range(200000):
        s += k * i % 7
    results[i] = s
threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
os.kill(os.getpid(), signal.SIGUSR1)
signal.setitimer(signal.ITIMER_REAL, 0.01)
for t in threads:
    t.join()
while len(got) < 2:
    time.sleep(0.001)
print(results, sorted(got))
`

// recordAndReplay runs c natively, records it, checks the recording against
// the native run, and replays it several times.
func recordAndReplay(t *testing.T, c recCase) {
	Require(t, "ptrace")
	if c.needs != "" {
		Require(t, c.needs)
	}
	prog := c.cmd
	if prog == "" {
		prog = Build(t, c.prog)
	} else if _, err := exec.LookPath(prog); err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	Rewind(t) // fail first, with the build output, if rewind does not build
	work := t.TempDir()
	if c.setup != nil {
		c.setup(t, work)
	}

	native := RunEnv(t, work, c.env, c.stdin, prog, c.args...)
	if c.cmd == "" {
		c.checkOutput(t, "native run", native)
	}

	trace := filepath.Join(t.TempDir(), "trace")
	rec := recordFlags(t, work, c.env, c.stdin, trace, c.flags, prog, c.args...)
	if rec.Code != native.Code {
		t.Errorf("rewind record exited %d, the program natively %d\nrecording: %s\nnative: %s",
			rec.Code, native.Code, rec, native)
	}
	checkTraceDir(t, trace)
	if c.cmd == "" {
		c.checkOutput(t, "recording", rec)
	}
	if c.check != nil {
		c.check(t, rec)
	}
	if c.det {
		if !bytes.Equal(rec.Stdout, native.Stdout) {
			t.Errorf("recording's stdout differs from a native run's\nrecording: %s\nnative: %s", rec, native)
		}
		if got := programStderr(rec.Stderr); !bytes.Equal(got, native.Stderr) {
			t.Errorf("recording's stderr (less rewind: lines) %q, native %q", got, native.Stderr)
		}
	} else if c.cmd == "" {
		// Same lines and keys, different values.
		if got, want := lineKeys(rec.Stdout), lineKeys(native.Stdout); got != want {
			t.Errorf("recording printed lines %q, a native run %q", got, want)
		}
	}

	for i := 1; i <= replays; i++ {
		checkReplay(t, i, trace, rec)
	}

	if c.differs {
		trace2 := filepath.Join(t.TempDir(), "trace")
		rec2 := recordFlags(t, work, c.env, c.stdin, trace2, c.flags, prog, c.args...)
		if rec2.Code != native.Code {
			t.Errorf("second recording exited %d, want %d\n%s", rec2.Code, native.Code, rec2)
		}
		if n := differentLines(rec.Stdout, rec2.Stdout); n == 0 {
			t.Errorf("two recordings printed the same; a nondeterministic program should differ\n%s", rec.Stdout)
		}
	}
}

// record runs rewind record -o trace -- prog args in work.
func record(t *testing.T, work string, env []string, stdin []byte, trace, prog string, args ...string) Result {
	t.Helper()
	return recordFlags(t, work, env, stdin, trace, nil, prog, args...)
}

// recordFlags is record with flags for rewind record.
func recordFlags(t *testing.T, work string, env []string, stdin []byte, trace string, flags []string, prog string, args ...string) Result {
	t.Helper()
	cmd := append(append([]string{"record", "-o", trace}, flags...), "--", prog)
	return RunEnv(t, work, env, stdin, Rewind(t), append(cmd, args...)...)
}

// eachFrame calls do with each frame of the trace in dir, and its number.
func eachFrame(t *testing.T, dir string, do func(n int, f *trace.Frame)) {
	t.Helper()
	r, err := trace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for n := 0; ; n++ {
		f, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		do(n, f)
	}
}

// checkReplay replays trace once, with no stdin and from another directory,
// and checks it printed and exited as the recording did.
func checkReplay(t *testing.T, i int, trace string, rec Result) {
	t.Helper()
	rep := Run(t, t.TempDir(), nil, Rewind(t), "replay", "-a", trace)
	if rep.Code != rec.Code {
		t.Errorf("replay %d exited %d, recording %d\nreplay: %s", i, rep.Code, rec.Code, rep)
	}
	if !bytes.Equal(rep.Stdout, rec.Stdout) {
		t.Errorf("replay %d stdout differs from the recording's\nreplay: %q\nrecording: %q", i, clip(rep.Stdout), clip(rec.Stdout))
	}
	if got, want := programStderr(rep.Stderr), programStderr(rec.Stderr); !bytes.Equal(got, want) {
		t.Errorf("replay %d stderr differs from the recording's\nreplay: %q\nrecording: %q", i, clip(rep.Stderr), clip(rec.Stderr))
	}
	for _, bad := range []string{"panic", "goroutine "} {
		if bytes.Contains(rep.Stderr, []byte(bad)) {
			t.Errorf("replay %d stderr mentions %q:\n%s", i, bad, rep.Stderr)
		}
	}
}

// checkTraceDir checks the layout of a finished trace.
func checkTraceDir(t *testing.T, dir string) {
	t.Helper()
	header, err := os.ReadFile(filepath.Join(dir, "header.json"))
	if err != nil {
		t.Errorf("trace: %v", err)
	} else if !formatVersion.Match(header) {
		t.Errorf("trace header.json has the wrong \"format_version\":\n%s", header)
	}
	if fi, err := os.Stat(filepath.Join(dir, "events")); err != nil {
		t.Errorf("trace: %v", err)
	} else if !fi.Mode().IsRegular() {
		t.Errorf("trace: events is not a regular file")
	}
	if fi, err := os.Stat(filepath.Join(dir, "files")); err != nil {
		t.Errorf("trace: %v", err)
	} else if !fi.IsDir() {
		t.Errorf("trace: files is not a directory")
	}
	if _, err := os.Lstat(filepath.Join(dir, "incomplete")); err == nil {
		t.Errorf("trace: the incomplete marker is still there after recording ended")
	}
}

var formatVersion = regexp.MustCompile(`"format_version"\s*:\s*` + strconv.Itoa(trace.FormatVersion) + `\b`)

// programStderr drops rewind's own lines (prefixed "rewind:") from stderr.
func programStderr(b []byte) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("rewind:")) {
			out = append(out, line...)
		}
	}
	return out
}

// lineKeys returns the part before ":" of each line, one per line.
func lineKeys(b []byte) string {
	var keys []string
	for _, line := range strings.Split(string(b), "\n") {
		k, _, _ := strings.Cut(line, ":")
		keys = append(keys, k)
	}
	return strings.Join(keys, "\n")
}

// differentLines counts the lines where a and b differ.
func differentLines(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	n := max(len(la), len(lb)) - min(len(la), len(lb))
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			n++
		}
	}
	return n
}

// TestInspect checks that info, dump and ps read a trace and name the
// recorded program.
func TestInspect(t *testing.T) {
	Require(t, "ptrace")
	prog := Build(t, "hello")
	trace := filepath.Join(t.TempDir(), "trace")
	if rec := record(t, t.TempDir(), nil, nil, trace, prog); rec.Code != 3 {
		t.Fatalf("recording hello: %s", rec)
	}
	for _, cmd := range []string{"info", "dump", "ps"} {
		t.Run(cmd, func(t *testing.T) {
			r := Run(t, t.TempDir(), nil, Rewind(t), cmd, trace)
			if r.Code != 0 {
				t.Errorf("rewind %s: %s", cmd, r)
			}
			if !bytes.Contains(r.Stdout, []byte("hello")) {
				t.Errorf("rewind %s does not name the program (hello):\n%s", cmd, r)
			}
		})
	}
}

// TestDoctor checks that doctor reports every probe the design asks for.
func TestDoctor(t *testing.T) {
	r := Run(t, t.TempDir(), nil, Rewind(t), "doctor")
	if r.Code != 0 {
		t.Errorf("rewind doctor: %s", r)
	}
	out := strings.ToLower(string(r.Stdout))
	for _, w := range []string{"PMU", "debug registers", "CPUID faulting", "rdtsc", "seccomp", "perf_event_paranoid"} {
		if !strings.Contains(out, strings.ToLower(w)) {
			t.Errorf("rewind doctor does not mention %q:\n%s", w, r)
		}
	}
}

// checkErrorLine checks that r failed with code and that stderr is exactly
// one line "rewind: ..." mentioning each of mentions (case-insensitive). If
// lastOnly, the program's output may come before it and only the last line
// of stderr is checked.
func checkErrorLine(t *testing.T, r Result, code int, lastOnly bool, mentions ...string) {
	t.Helper()
	if r.Code != code {
		t.Errorf("exit code %d, want %d\n%s", r.Code, code, r)
	}
	for _, bad := range []string{"panic", "goroutine"} {
		if bytes.Contains(r.Stderr, []byte(bad)) {
			t.Errorf("stderr mentions %q:\n%s", bad, r.Stderr)
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(r.Stderr), "\n"), "\n")
	if !lastOnly && len(lines) != 1 {
		t.Errorf("stderr has %d lines, want one:\n%s", len(lines), r.Stderr)
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "rewind:") {
		t.Errorf("error line %q does not start with \"rewind:\"", last)
	}
	for _, m := range mentions {
		if !strings.Contains(strings.ToLower(last), strings.ToLower(m)) {
			t.Errorf("error line %q does not mention %q", last, m)
		}
	}
}

// TestBadInput checks that rewind fails cleanly, with one "rewind:" line
// naming the cause, on a missing program and on broken traces.
func TestBadInput(t *testing.T) {
	t.Run("missing program", func(t *testing.T) {
		const missing = "/nonexistent/rewind-no-such-program"
		r := record(t, t.TempDir(), nil, nil, filepath.Join(t.TempDir(), "trace"), missing)
		checkErrorLine(t, r, 127, false, "rewind-no-such-program")
	})
	t.Run("not a trace", func(t *testing.T) {
		empty := t.TempDir()
		r := Run(t, t.TempDir(), nil, Rewind(t), "replay", "-a", empty)
		checkErrorLine(t, r, 125, false, empty)
	})

	Require(t, "ptrace")
	good := filepath.Join(t.TempDir(), "trace")
	if rec := record(t, t.TempDir(), nil, nil, good, Build(t, "syscalls"), "20000"); rec.Code != 0 {
		t.Fatalf("recording syscalls: %s", rec)
	}
	// broken copies good, lets damage change it, and replays the copy.
	broken := func(t *testing.T, damage func(t *testing.T, trace string)) Result {
		t.Helper()
		trace := filepath.Join(t.TempDir(), "trace")
		copyDir(t, good, trace)
		damage(t, trace)
		return Run(t, t.TempDir(), nil, Rewind(t), "replay", "-a", trace)
	}

	t.Run("truncated events", func(t *testing.T) {
		r := broken(t, func(t *testing.T, trace string) {
			events := filepath.Join(trace, "events")
			fi, err := os.Stat(events)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(events, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		})
		checkErrorLine(t, r, 125, true, "events")
	})
	t.Run("corrupted events", func(t *testing.T) {
		r := broken(t, func(t *testing.T, trace string) {
			events := filepath.Join(trace, "events")
			b, err := os.ReadFile(events)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) < 64 {
				t.Fatalf("events has only %d bytes", len(b))
			}
			mid := len(b)/2 - 8
			for i := mid; i < mid+16; i++ {
				b[i] ^= 0xff
			}
			if err := os.WriteFile(events, b, 0o644); err != nil {
				t.Fatal(err)
			}
		})
		checkErrorLine(t, r, 125, true, "events")
	})
	t.Run("unknown format version", func(t *testing.T) {
		r := broken(t, func(t *testing.T, trace string) {
			header := filepath.Join(trace, "header.json")
			b, err := os.ReadFile(header)
			if err != nil {
				t.Fatal(err)
			}
			if !formatVersion.Match(b) {
				t.Fatalf("header.json has the wrong \"format_version\":\n%s", b)
			}
			b = formatVersion.ReplaceAll(b, []byte(`"format_version": 999`))
			if err := os.WriteFile(header, b, 0o644); err != nil {
				t.Fatal(err)
			}
		})
		checkErrorLine(t, r, 125, false, "version")
	})
}

// copyDir copies the tree src to dst (regular files, directories, symlinks).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			return os.MkdirAll(to, 0o755)
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, fi.Mode().Perm()|0o200)
		default:
			return fmt.Errorf("%s: unexpected file type %v", path, fi.Mode().Type())
		}
	})
	if err != nil {
		t.Fatalf("copying trace: %v", err)
	}
}

// TestTraceLocation checks where traces go without -o, the latest-trace
// link, and replay -a without a trace argument.
func TestTraceLocation(t *testing.T) {
	Require(t, "ptrace")
	prog := Build(t, "env") // traces are named after the executable: env-N
	work := t.TempDir()

	// checkLatest checks that dir/env-N is a trace and dir/latest-trace
	// points at it.
	checkLatest := func(t *testing.T, dir string, n int) {
		t.Helper()
		trace := filepath.Join(dir, fmt.Sprintf("env-%d", n))
		checkTraceDir(t, trace)
		link := filepath.Join(dir, "latest-trace")
		fi, err := os.Lstat(link)
		if err != nil {
			t.Fatalf("no latest-trace: %v", err)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("latest-trace is not a symlink (%v)", fi.Mode())
		}
		got, err1 := filepath.EvalSymlinks(link)
		want, err2 := filepath.EvalSymlinks(trace)
		if err1 != nil || err2 != nil || got != want {
			t.Errorf("latest-trace resolves to %s (%v), want %s (%v)", got, err1, want, err2)
		}
	}
	// recordTwice records twice with env and checks names, link and that
	// replay -a replays the second.
	recordTwice := func(t *testing.T, env []string, dir string) {
		t.Helper()
		r1 := RunEnv(t, work, env, nil, Rewind(t), "record", prog, "first")
		if r1.Code != 0 || !bytes.Contains(r1.Stdout, []byte("argv[1]: first\n")) {
			t.Fatalf("first recording: %s", r1)
		}
		checkLatest(t, dir, 0)
		r2 := RunEnv(t, work, env, nil, Rewind(t), "record", "--", prog, "second")
		if r2.Code != 0 || !bytes.Contains(r2.Stdout, []byte("argv[1]: second\n")) {
			t.Fatalf("second recording: %s", r2)
		}
		checkLatest(t, dir, 1)
		checkTraceDir(t, filepath.Join(dir, "env-0"))

		rep := RunEnv(t, t.TempDir(), env, nil, Rewind(t), "replay", "-a")
		if rep.Code != 0 || !bytes.Equal(rep.Stdout, r2.Stdout) {
			t.Errorf("replay -a without a trace did not replay the latest recording\nreplay: %s\nlatest: %s", rep, r2)
		}
	}

	t.Run("REWIND_TRACE_DIR", func(t *testing.T) {
		dir, home := t.TempDir(), t.TempDir()
		recordTwice(t, []string{"REWIND_TRACE_DIR=" + dir, "HOME=" + home}, dir)
		if _, err := os.Stat(filepath.Join(home, ".local/share/rewind")); err == nil {
			t.Errorf("with REWIND_TRACE_DIR set, a trace went to ~/.local/share/rewind too")
		}
	})
	t.Run("HOME", func(t *testing.T) {
		home := t.TempDir()
		recordTwice(t, []string{"REWIND_TRACE_DIR", "HOME=" + home}, filepath.Join(home, ".local/share/rewind"))
	})
}
