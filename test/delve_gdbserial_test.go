package test

// A replay served by rewind, driven by Delve's own RSP client: the
// gdbserial backend of github.com/go-delve/delve (pinned in go.mod), with
// Delve's proc package on top (BinaryInfo, breakpoints, Continue, Detach).
//
// Delve has no exported way to connect its gdbserial backend to a stub that
// is already listening: LLDBLaunch and LLDBAttach start debugserver or
// lldb-server, and Replay starts a binary named rr. Replay's own steps are
// newProcess, setting the rr fields (tracedir, useXcmd, newRRCmdStyle) and
// Dial, all unexported; this file reaches newProcess through go:linkname
// and does the rest with what newProcess returns, so the packets on the
// wire are the ones Delve sends to rr. The linkname targets are checked by
// the linker, and the fields by name at run time, so a Delve upgrade that
// renames them fails this test loudly instead of silently testing less.

import (
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/go-delve/delve/pkg/proc"
	_ "github.com/go-delve/delve/pkg/proc/gdbserial" // linked for newProcess
)

var delveWire = flag.Bool("delvewire", false, "log the packets Delve's gdbserial client exchanges with rewind (to stderr)")

// pieBase is where the kernel maps a PIE executable when ASLR is off, as
// it is under rewind.
const pieBase = 0x555555554000

// delveTimeout bounds the whole conversation with the stub: it is the
// connection's deadline, so a stub that stops answering fails the test
// with an i/o timeout instead of hanging it.
const delveTimeout = 25 * time.Second

//go:linkname delveNewProcess github.com/go-delve/delve/pkg/proc/gdbserial.newProcess
func delveNewProcess(process *os.Process, attaching bool) unsafe.Pointer

// delveProcessMemory is (*gdbProcess).Memory, which returns its receiver:
// it turns the untyped pointer from delveNewProcess into a typed value.
//
//go:linkname delveProcessMemory github.com/go-delve/delve/pkg/proc/gdbserial.(*gdbProcess).Memory
func delveProcessMemory(p unsafe.Pointer) proc.MemoryReadWriter

// delveConnector is the exported method of Delve's unexported gdbProcess
// that Dial calls once it has a connection: handshake, then initialize
// (threads, qProcessInfo, auxv, BinaryInfo).
type delveConnector interface {
	Connect(conn net.Conn, path, cmdline string, pid int, debugInfoDirs []string, stopReason proc.StopReason) (*proc.TargetGroup, error)
}

// delveConnect does what gdbserial.Replay does after rr has printed its
// gdb command line: a process with the rr settings, connected to addr.
// The connection gets deadline as its deadline.
func delveConnect(t *testing.T, addr, exe, tracedir string, deadline time.Time) *proc.TargetGroup {
	t.Helper()
	mem := delveProcessMemory(delveNewProcess(nil, false))
	p, ok := mem.(delveConnector)
	if !ok {
		t.Fatalf("Delve's process type %T has no Connect method", mem)
	}
	// As in gdbserial.Replay: a trace directory makes it a recording,
	// rr refuses M so memory writes use X, and rr ≥ 5.8 takes the new
	// qRRCmd syntax.
	v := reflect.ValueOf(mem).Elem()
	setField(t, v, "tracedir", tracedir)
	conn := v.FieldByName("conn")
	setField(t, conn, "useXcmd", true)
	setField(t, conn, "newRRCmdStyle", true)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialing the stub: %v", err)
	}
	c.SetDeadline(deadline)
	grp, err := p.Connect(c, exe, exe, 0, nil, proc.StopLaunched)
	if err != nil {
		t.Fatalf("Delve's gdbserial Connect to rewind at %s: %v", addr, err)
	}
	return grp
}

// setField sets the unexported field name of the struct v (addressable)
// to val.
func setField(t *testing.T, v reflect.Value, name string, val any) {
	t.Helper()
	if !v.IsValid() {
		t.Fatalf("Delve's gdbProcess changed: no struct holding field %s", name)
	}
	f := v.FieldByName(name)
	if !f.IsValid() || f.Type() != reflect.TypeOf(val) {
		t.Fatalf("Delve's %s has no field %s of type %T", v.Type(), name, val)
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(val))
}

// symbolAddr returns the run-time address of the symbol name in the PIE
// executable f.
func symbolAddr(t *testing.T, f *elf.File, name string) uint64 {
	t.Helper()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return pieBase + s.Value
		}
	}
	t.Fatalf("no symbol %s", name)
	return 0
}

// fileBytes returns n bytes of f's image at the link-time address vaddr,
// read from the file through the segment that maps it.
func fileBytes(t *testing.T, f *elf.File, vaddr uint64, n int) []byte {
	t.Helper()
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && vaddr >= p.Vaddr && vaddr+uint64(n) <= p.Vaddr+p.Filesz {
			b := make([]byte, n)
			if _, err := p.ReadAt(b, int64(vaddr-p.Vaddr)); err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no loadable segment holds %#x+%d", vaddr, n)
	return nil
}

// recordDemo builds demo, records it and returns the binary and the trace
// directory.
func recordDemo(t *testing.T) (prog, trace string) {
	t.Helper()
	Require(t, "ptrace")
	if *delveWire {
		if err := logflags.Setup(true, "gdbwire", ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logflags.Setup(false, "", "") })
	}
	prog = Build(t, "demo")
	trace, r := recordTrace(t, prog)
	if !strings.Contains(string(r.Stdout), "final balance:") {
		t.Fatalf("rewind record -o %s %s: %s", trace, prog, r)
	}
	return prog, trace
}

// TestDelveGdbserial records demo, serves the recording with rewind replay
// -s 0 and debugs it with Delve's gdbserial backend as Delve's rr backend
// would: registers and memory at the start, a breakpoint on deposit, two
// continues, and the value of balance at each stop, then a kill.
func TestDelveGdbserial(t *testing.T) {
	start := time.Now()
	prog, trace := recordDemo(t)

	f, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	deposit := symbolAddr(t, f, "deposit")
	balance := symbolAddr(t, f, "balance")

	s := serveReplay(t, trace)
	if want, _ := filepath.EvalSymlinks(prog); s.exe != prog && s.exe != want {
		t.Errorf("rewind's gdb command line names %s as the executable, want %s", s.exe, prog)
	}
	grp := delveConnect(t, s.addr, s.exe, trace, start.Add(delveTimeout))
	killed := false
	defer func() {
		if !killed {
			grp.Detach(true)
		}
	}()
	tgt := grp.Selected
	if rec, dir := grp.Recorded(); !rec || dir != trace {
		t.Errorf("Recorded() = %v, %q; want true, %q", rec, dir, trace)
	}

	// Delve finds the PIE base from AT_ENTRY in qXfer:auxv and loads
	// DWARF there.
	bi := tgt.BinInfo()
	if got := bi.Images[0].StaticBase; got != pieBase {
		t.Errorf("Delve put the executable at %#x, want %#x (is qXfer:auxv right?)", got, pieBase)
	}
	// Delve names the functions of C compile units "C.<name>".
	if fns := bi.LookupFunc()["C.deposit"]; len(fns) != 1 || fns[0].Entry != deposit {
		t.Errorf("Delve's DWARF has C.deposit at %v, want one at %#x", fns, deposit)
	}

	// Registers and memory at the start of the replay.
	th := tgt.CurrentThread()
	regs, err := th.Registers()
	if err != nil {
		t.Fatalf("registers of thread %d: %v", th.ThreadID(), err)
	}
	pc, sp := regs.PC(), regs.SP()
	t.Logf("thread %d starts at pc %#x sp %#x", th.ThreadID(), pc, sp)
	if pc == 0 || sp == 0 {
		t.Errorf("pc %#x sp %#x at the start, want both non-zero", pc, sp)
	}
	if th.ThreadID() != tgt.Pid() {
		t.Errorf("current thread %d, want the main thread %d", th.ThreadID(), tgt.Pid())
	}
	atPC := make([]byte, 16)
	if n, err := tgt.Memory().ReadMemory(atPC, pc); err != nil || n != len(atPC) {
		t.Errorf("reading %d bytes at pc %#x: n=%d, %v", len(atPC), pc, n, err)
	}
	t.Logf("code at pc: % x", atPC)

	hdr := make([]byte, 64) // the ELF64 header, mapped from file offset 0
	if _, err := tgt.Memory().ReadMemory(hdr, pieBase); err != nil {
		t.Fatalf("reading the ELF header at %#x: %v", pieBase, err)
	}
	if want := fileBytes(t, f, 0, len(hdr)); string(hdr) != string(want) {
		t.Errorf("ELF header in memory:\n% x\nwant (from %s):\n% x", hdr, prog, want)
	}
	code := make([]byte, 32)
	if _, err := tgt.Memory().ReadMemory(code, deposit); err != nil {
		t.Fatalf("reading deposit's code at %#x: %v", deposit, err)
	}
	if want := fileBytes(t, f, deposit-pieBase, len(code)); string(code) != string(want) {
		t.Errorf("deposit's code in memory:\n% x\nwant (from %s):\n% x", code, prog, want)
	}

	// A breakpoint on deposit (Z0), hit twice: balance is 0 before the
	// first deposit of 10 and 10 before the second.
	bp, err := tgt.SetBreakpoint(1, deposit, proc.UserBreakpoint, nil)
	if err != nil {
		t.Fatalf("breakpoint at deposit (%#x): %v", deposit, err)
	}
	if bp.FunctionName != "C.deposit" {
		t.Errorf("Delve names the breakpoint's function %q, want C.deposit", bp.FunctionName)
	}
	for hit, want := range []int32{0, 10} {
		if err := grp.Continue(); err != nil {
			t.Fatalf("continue to hit %d of deposit: %v\nrewind's stderr:\n%s", hit+1, err, s.log())
		}
		th := tgt.CurrentThread()
		regs, err := th.Registers()
		if err != nil {
			t.Fatalf("registers at hit %d: %v", hit+1, err)
		}
		if regs.PC() != deposit {
			t.Fatalf("hit %d: stopped at pc %#x (%s), want deposit at %#x", hit+1, regs.PC(), funcName(bi, regs.PC()), deposit)
		}
		if cur := th.Breakpoint().Breakpoint; cur == nil || cur.Addr != deposit {
			t.Errorf("hit %d: Delve's current breakpoint is %v, want the one at %#x", hit+1, cur, deposit)
		}
		if n := bp.Logical.TotalHitCount; n != uint64(hit+1) {
			t.Errorf("hit %d: breakpoint hit count %d", hit+1, n)
		}
		var b [4]byte
		if _, err := tgt.Memory().ReadMemory(b[:], balance); err != nil {
			t.Fatalf("hit %d: reading balance at %#x: %v", hit+1, balance, err)
		}
		if got := int32(binary.LittleEndian.Uint32(b[:])); got != want {
			t.Errorf("hit %d: balance = %d, want %d", hit+1, got, want)
		}
	}

	// Kill (k), as Delve does when the user quits; rewind then exits.
	killed = true
	if err := grp.Detach(true); err != nil {
		t.Errorf("Detach(kill): %v", err)
	}
	select {
	case <-s.done:
		if s.waitErr != nil {
			t.Errorf("rewind replay after k: %v\n%s", s.waitErr, s.log())
		}
	case <-time.After(5 * time.Second):
		t.Errorf("rewind replay still running 5s after Delve killed the target:\n%s", s.log())
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v, want under 30s", d)
	}
}

// funcName names the function holding pc, for messages.
func funcName(bi *proc.BinaryInfo, pc uint64) string {
	if fn := bi.PCToFunc(pc); fn != nil {
		return fn.Name
	}
	return fmt.Sprintf("no function at %#x", pc)
}

// TestDelveGdbserialDetach checks that with -k a Delve that detaches (D)
// leaves the stub serving, and that the next Delve finds the replay where
// the first one left it.
func TestDelveGdbserialDetach(t *testing.T) {
	start := time.Now()
	prog, trace := recordDemo(t)
	f, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	deposit := symbolAddr(t, f, "deposit")

	s := serveReplay(t, trace, "-k")
	grp := delveConnect(t, s.addr, s.exe, trace, start.Add(delveTimeout))
	if _, err := grp.Selected.SetBreakpoint(1, deposit, proc.UserBreakpoint, nil); err != nil {
		t.Fatalf("breakpoint at deposit (%#x): %v", deposit, err)
	}
	if err := grp.Continue(); err != nil {
		t.Fatalf("continue to deposit: %v\nrewind's stderr:\n%s", err, s.log())
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("Detach: %v", err)
	}

	grp = delveConnect(t, s.addr, s.exe, trace, start.Add(delveTimeout))
	regs, err := grp.Selected.CurrentThread().Registers()
	if err != nil {
		t.Fatalf("registers after reconnecting: %v", err)
	}
	if regs.PC() != deposit {
		t.Errorf("after detach and reconnect pc = %#x (%s), want deposit at %#x", regs.PC(), funcName(grp.Selected.BinInfo(), regs.PC()), deposit)
	}
	if err := grp.Detach(true); err != nil {
		t.Errorf("Detach(kill): %v", err)
	}
	select {
	case <-s.done:
		t.Logf("rewind replay -k exited after k (%v)", s.waitErr)
	case <-time.After(time.Second):
		// -k: still serving, as asked; Cleanup kills it.
	}
}
