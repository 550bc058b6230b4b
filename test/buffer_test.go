package test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/trace"
)

// TestSyscallBufferStatic records programs without a dynamic linker,
// which LD_PRELOAD cannot reach: a static C program and Go programs get
// the library, loaded by rewind (preload.Start).
// Their calls must go through the buffer, and the recordings replay
// exactly: a Go program with goroutines on several threads, SIGURG
// preemption, a signal and a child process, also under --chaos, and the
// go command itself. (The fixture bypass.c covers the ways a program gets
// around the buffer, in TestRecordReplayFixtures.)
func TestSyscallBufferStatic(t *testing.T) {
	Require(t, "ptrace")
	gowork := BuildGo(t, "gowork")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, prog string
		args       []string
		flags      []string
		minCalls   int // buffered calls at least
	}{
		{name: "static C", prog: Build(t, "files", "-static"), minCalls: 10},
		{name: "go", prog: gowork, minCalls: 1000},
		{name: "go chaos", prog: gowork, flags: []string{"--chaos"}, minCalls: 1000},
		{name: "go version", prog: goCmd, args: []string{"version"}, minCalls: 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			native := Run(t, work, nil, c.prog, c.args...)
			trace := filepath.Join(t.TempDir(), "trace")
			rec := recordFlags(t, work, nil, nil, trace, append([]string{"-q"}, c.flags...), c.prog, c.args...)
			if rec.Code != native.Code || !bytes.Equal(rec.Stdout, native.Stdout) {
				t.Fatalf("the recording differs from a native run\nrecording: %s\nnative: %s", rec, native)
			}
			if n := bufferedCalls(t, trace); n < c.minCalls {
				t.Errorf("%d calls went through the syscall buffer, want at least %d", n, c.minCalls)
			}
			for i := 1; i <= 2; i++ {
				checkReplay(t, i, trace, rec)
			}
		})
	}
}

// bufferedCalls counts the calls a recording made through the syscall
// buffer.
func bufferedCalls(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	eachFrame(t, dir, func(_ int, f *trace.Frame) {
		if f.Kind == trace.KindBuffered && len(f.Mem) == 2 {
			for _, rec := range preload.Records(f.Mem[1].Data) {
				if rec.Nr != preload.MarkerTraced {
					n++
				}
			}
		}
	})
	return n
}

// TestSyscallBufferRelativeTrace records, into a trace named by a relative
// path, a shell that changes directory before it runs a child: the child
// must still find the syscall buffer library (ld.so would complain on
// stderr) and the recording replay exactly, also named by that path.
func TestSyscallBufferRelativeTrace(t *testing.T) {
	Require(t, "ptrace")
	work := t.TempDir()
	rec := Run(t, work, nil, Rewind(t), "record", "-q", "-o", "trace", "sh", "-c", "cd / && /bin/ls -d /tmp && echo done")
	if rec.Code != 0 || string(rec.Stdout) != "/tmp\ndone\n" || len(programStderr(rec.Stderr)) != 0 {
		t.Fatalf("record: %s", rec)
	}
	checkReplay(t, 1, filepath.Join(work, "trace"), rec)
	// Replayed by its relative name too: the program runs in the
	// recording's directory, and opens the trace's copies itself.
	if rep := Run(t, work, nil, Rewind(t), "replay", "-a", "trace"); rep.Code != 0 || !bytes.Equal(rep.Stdout, rec.Stdout) {
		t.Errorf("replay by a relative name: %s", rep)
	}
}

// TestSyscallBufferProgramSetsGS records a program that sets its own %gs
// base, which the syscall buffer uses to find a thread's slot: with the
// buffer rewind refuses it, naming the cause and -n; with -n it records
// and replays.
func TestSyscallBufferProgramSetsGS(t *testing.T) {
	Require(t, "ptrace")
	prog := Build(t, "refused/setgs", "-Wall", "-Werror")
	r := record(t, t.TempDir(), nil, nil, filepath.Join(t.TempDir(), "trace"), prog)
	checkErrorLine(t, r, 125, true, "ARCH_SET_GS", "-n")
	trace := filepath.Join(t.TempDir(), "trace")
	rec := recordFlags(t, t.TempDir(), nil, nil, trace, []string{"-n"}, prog)
	if rec.Code != 0 || string(rec.Stdout) != "gs:0 = 42\n" {
		t.Fatalf("record -n: %s", rec)
	}
	checkReplay(t, 1, trace, rec)
}

// TestSyscallBufferUnderForeignFilter records with rewind itself under a
// seccomp filter that is not its own (as in a container): the library
// installs none then, and every call is recorded through ptrace. The
// recorder once took that filter for its own and let calls run without
// stops: a shell's vfork hung.
func TestSyscallBufferUnderForeignFilter(t *testing.T) {
	Require(t, "ptrace")
	sandbox := Build(t, "tools/sandbox", "-Wall", "-Werror")
	trace := filepath.Join(t.TempDir(), "trace")
	rec := Run(t, t.TempDir(), nil, sandbox, Rewind(t), "record", "-o", trace, "--", "sh", "-c", "echo one; ls / >/dev/null; echo two")
	if rec.Code != 0 || string(rec.Stdout) != "one\ntwo\n" {
		t.Fatalf("record under a foreign seccomp filter: %s", rec)
	}
	checkReplay(t, 1, trace, rec)
}

// TestSyscallBufferFileMaps records mmapfile, which maps one file
// privately twice, writes it through a shared mapping and maps it
// privately again: the second mapping goes through the syscall buffer
// (the file was copied at the first), naming that copy; the last one,
// of the file as written, stops and gets a copy of its own. Replay maps
// the copies and prints what the recording printed.
func TestSyscallBufferFileMaps(t *testing.T) {
	Require(t, "ptrace")
	work := t.TempDir()
	dir := filepath.Join(t.TempDir(), "trace")
	rec := recordFlags(t, work, nil, nil, dir, []string{"-q"}, Build(t, "mmapfile"))
	if rec.Code != 0 {
		t.Fatalf("record: %s", rec)
	}
	var buffered []string
	traced := map[string]bool{}
	eachFrame(t, dir, func(_ int, f *trace.Frame) {
		switch {
		case f.Kind == trace.KindSyscall && f.Map != nil && strings.Contains(f.Map.Path, "rewind-mmap-"):
			traced[f.Map.File] = true
		case f.Kind == trace.KindBuffered && len(f.Mem) == 2:
			for _, rec := range preload.Records(f.Mem[1].Data) {
				if name := preload.FileMapName(rec.Data); preload.IsFileMap(rec) && strings.HasPrefix(name, "rewind-mmap-") {
					buffered = append(buffered, name)
				}
			}
		}
	})
	if len(buffered) != 1 || !traced[buffered[0]] {
		t.Errorf("buffered mappings of the file: %q, want one, of a copy a traced mapping made (%v)", buffered, traced)
	}
	if len(traced) != 2 {
		t.Errorf("copies of the file: %v, want two (before and after it was written)", traced)
	}
	checkReplay(t, 1, dir, rec)
}

// TestSyscallBufferExecLookup checks that an execve that fails for want
// of its file (ENOENT, ENOTDIR: a command tried along PATH) goes through
// the buffer, that others (EACCES, one that runs) stop, and that replay
// returns the same.
func TestSyscallBufferExecLookup(t *testing.T) {
	Require(t, "ptrace")
	dir := filepath.Join(t.TempDir(), "trace")
	rec := recordFlags(t, t.TempDir(), nil, nil, dir, []string{"-q"}, Build(t, "execpath"))
	if rec.Code != 0 || string(rec.Stdout) != execpathOut {
		t.Fatalf("record: %s\nwant stdout %q", rec, execpathOut)
	}
	buffered := map[int64]int{}
	var traced []int64
	eachFrame(t, dir, func(_ int, f *trace.Frame) {
		switch {
		case f.Kind == trace.KindSyscall && f.Nr == unix.SYS_EXECVE:
			traced = append(traced, f.Result)
		case f.Kind == trace.KindBuffered && len(f.Mem) == 2:
			for _, r := range preload.Records(f.Mem[1].Data) {
				if r.Nr == unix.SYS_EXECVE {
					buffered[r.Ret]++
				}
			}
		}
	})
	// The program's own two, and the child's three tries along PATH
	// before /usr/bin (two ENOENT, one ENOTDIR).
	if buffered[-int64(unix.ENOENT)] != 3 || buffered[-int64(unix.ENOTDIR)] != 2 || len(buffered) != 2 {
		t.Errorf("buffered execve results: %v, want 3 ENOENT and 2 ENOTDIR", buffered)
	}
	if !slices.Contains(traced, -int64(unix.EACCES)) || !slices.Contains(traced, 0) {
		t.Errorf("traced execve results: %v, want EACCES and a success", traced)
	}
	checkReplay(t, 1, dir, rec)
}

// TestSyscallBufferDynamicLinker checks that the dynamic linker's start
// stops the program no more than its mmaps need: its rdtsc (timing its
// own work, eight in each process here), set_robust_list and
// arch_prctl(ARCH_SET_FS), patched (the last two with instructions
// between the number's mov and the syscall), go through the buffer, and
// replay returns the same.
func TestSyscallBufferDynamicLinker(t *testing.T) {
	Require(t, "ptrace")
	dir := filepath.Join(t.TempDir(), "trace")
	rec := recordFlags(t, t.TempDir(), nil, nil, dir, []string{"-q"}, "/bin/true")
	if rec.Code != 0 {
		t.Fatalf("record: %s", rec)
	}
	insns, tscs := 0, 0
	traced := map[string]int{}
	eachFrame(t, dir, func(_ int, f *trace.Frame) {
		switch f.Kind {
		case trace.KindInsn:
			insns++
		case trace.KindSyscall:
			traced[arch.SyscallName(f.Nr)]++
		case trace.KindBuffered:
			if len(f.Mem) == 2 {
				for _, r := range preload.Records(f.Mem[1].Data) {
					if r.Nr == preload.RecRDTSC {
						tscs++
					}
				}
			}
		}
	})
	if insns != 0 || tscs == 0 {
		t.Errorf("%d rdtsc trapped, %d through the buffer: want none trapped", insns, tscs)
	}
	if traced["set_robust_list"]+traced["arch_prctl"] != 0 {
		t.Errorf("traced calls: %v, want no set_robust_list or arch_prctl", traced)
	}
	checkReplay(t, 1, dir, rec)
}

// TestSyscallBufferSignalMask checks that rt_sigprocmask goes through the
// buffer when it only blocks (no signal rewind holds can become
// deliverable) and stops when it unblocks, so that a signal pending
// meanwhile is delivered on its return, in recording and replay (fixture
// raise: SIGUSR1 raised while blocked).
func TestSyscallBufferSignalMask(t *testing.T) {
	Require(t, "ptrace")
	dir := filepath.Join(t.TempDir(), "trace")
	rec := recordFlags(t, t.TempDir(), nil, nil, dir, []string{"-q"}, Build(t, "raise"))
	if rec.Code != 0 || !strings.Contains(string(rec.Stdout), "unblocked: SIGUSR1 pending=0 count=2\n") {
		t.Fatalf("record: %s", rec)
	}
	const sigBlock, sigUnblock = 0, 1
	buffered, traced := 0, map[uint64]int{} // traced by how
	eachFrame(t, dir, func(_ int, f *trace.Frame) {
		switch {
		case f.Kind == trace.KindSyscall && f.Nr == unix.SYS_RT_SIGPROCMASK:
			traced[f.Regs.Rdi]++
		case f.Kind == trace.KindBuffered && len(f.Mem) == 2:
			for _, r := range preload.Records(f.Mem[1].Data) {
				if r.Nr == unix.SYS_RT_SIGPROCMASK {
					buffered++
				}
			}
		}
	})
	if buffered == 0 || traced[sigBlock] != 0 || traced[sigUnblock] == 0 {
		t.Errorf("rt_sigprocmask buffered %d times, traced by how %v: want SIG_BLOCK buffered, SIG_UNBLOCK traced", buffered, traced)
	}
	checkReplay(t, 1, dir, rec)
}
