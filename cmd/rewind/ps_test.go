package main

import (
	"encoding/binary"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"rewind/trace"
)

// execFrame is an exec of tid whose initial stack holds argv.
func execFrame(tid int32, argv ...string) *trace.Frame {
	const sp = 0x7fff0000
	// argc, the argv pointers, NULL, an empty envp, then the strings.
	words := 1 + len(argv) + 2
	img := make([]byte, 8*words)
	binary.LittleEndian.PutUint64(img, uint64(len(argv)))
	for i, a := range argv {
		binary.LittleEndian.PutUint64(img[8+8*i:], uint64(sp+len(img)))
		img = append(img, a+"\x00"...)
	}
	return &trace.Frame{Kind: trace.KindExec, Tid: tid, Regs: unix.PtraceRegs{Rsp: sp}, Exe: argv[0],
		Mem: []trace.MemWrite{{Addr: sp, Data: img}}}
}

// call is a syscall frame of tid with rdi and fs_base set.
func call(tid int32, nr uint64, rdi uint64, fs uint64, result int64) *trace.Frame {
	return &trace.Frame{Kind: trace.KindSyscall, Tid: tid, Nr: nr, Result: result, Regs: unix.PtraceRegs{Rdi: rdi, Fs_base: fs}}
}

func exitFrame(tid int32, status int32) *trace.Frame {
	return &trace.Frame{Kind: trace.KindExit, Tid: tid, Status: status}
}

// TestProcessTable builds rewind ps's table from a synthetic recording
// with every way a process or thread is created.
func TestProcessTable(t *testing.T) {
	const fs = 0x7ffff7d80740 // the first process's TLS base
	frames := []*trace.Frame{
		execFrame(100, "/bin/prog", "-x"),
		call(100, unix.SYS_CLONE, unix.CLONE_CHILD_SETTID|uint64(unix.SIGCHLD), fs, 101), // fork
		call(100, unix.SYS_CLONE, unix.CLONE_VM|unix.CLONE_THREAD|unix.CLONE_SIGHAND, fs, 102),
		call(100, unix.SYS_CLONE3, 0x7ffe0000, fs, 103), // pthread_create: a new TLS
		call(103, unix.SYS_GETTID, 0, 0x7ffff7580640, 103),
		call(100, unix.SYS_CLONE3, 0x7ffe0000, fs, 104), // a raw fork by clone3
		{Kind: trace.KindBuffered, Tid: 104},            // no registers: undecided yet
		call(104, unix.SYS_GETPID, 0, fs, 104),
		{Kind: trace.KindEnter, Tid: 100, Nr: unix.SYS_VFORK, Result: 105},
		call(105, unix.SYS_EXECVE, 0, fs, 0),
		execFrame(105, "/bin/echo", "hi"),
		call(100, unix.SYS_VFORK, 0, fs, 105), // the same child again
		call(101, unix.SYS_CLONE, unix.CLONE_PARENT|uint64(unix.SIGCHLD), fs, 106),
		exitFrame(105, 0),
		exitFrame(101, int32(unix.SIGKILL)),
		{Kind: trace.KindExit, Flags: trace.FlagThread, Tid: 103},
		exitFrame(104, 7<<8),
		exitFrame(102, 3<<8), // exit_group from a thread ends process 100
	}
	dir := filepath.Join(t.TempDir(), "trace")
	w, err := trace.Create(dir, &trace.Header{Exe: "/bin/prog", Args: []string{"/bin/prog", "-x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(true); err != nil {
		t.Fatal(err)
	}

	r, err := trace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	procs, err := processTable(r)
	if err != nil {
		t.Fatal(err)
	}
	var got []psProcess
	for _, p := range procs {
		got = append(got, *p)
	}
	prog := []string{"/bin/prog", "-x"}
	want := []psProcess{
		{pid: 100, exit: "3", args: prog, execs: true},
		{pid: 101, ppid: 100, exit: "-9", args: prog},
		{pid: 104, ppid: 100, exit: "7", args: prog},
		{pid: 105, ppid: 100, exit: "0", args: []string{"/bin/echo", "hi"}, execs: true},
		{pid: 106, ppid: 100, exit: "none", args: prog}, // CLONE_PARENT: its creator's sibling
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("processTable:\n got %+v\nwant %+v", got, want)
	}

	if p, err := findProcess(dir, 105); err != nil || p.pid != 105 || !p.execs {
		t.Errorf("findProcess(105) = %+v, %v", p, err)
	}
	_, err = findProcess(dir, 102) // a thread, not a process
	if err == nil || !strings.Contains(err.Error(), "100, 101, 104, 105, 106") {
		t.Errorf("findProcess(102): %v, want an error listing the processes", err)
	}
}

// TestRRReplayArgs checks that rr replay's options become rewind replay's,
// --onprocess=PID as -p PID.
func TestRRReplayArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"replay", "--dbgport=0", "/t/prog-0"}, []string{"-s", "0", "/t/prog-0"}},
		{[]string{"replay", "--dbgport=0", "--onprocess=1234", "/t/prog-0"}, []string{"-s", "0", "-p", "1234", "/t/prog-0"}},
		{[]string{"replay", "-s", "5", "-k", "-p", "77"}, []string{"-s", "5", "-k", "-p", "77"}},
		{[]string{"replay", "--dbgport", "1", "--", "-trace"}, []string{"-s", "1", "./-trace"}},
	} {
		c, err := parseRR(tc.args)
		if err != nil {
			t.Fatalf("parseRR(%q): %v", tc.args, err)
		}
		if got := rrReplayArgs(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("rr %q: rewind replay %q, want %q", tc.args, got, tc.want)
		}
	}
}
