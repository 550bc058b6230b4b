package tracee

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// The trampoline stops a loop at exactly the pass whose registers all
// match, with the thread's state as if it had just arrived there.
func TestTrampoline(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "loop.c")
	os.WriteFile(src, []byte(`
__attribute__((noinline)) void spot(unsigned long i) { __asm__ volatile("nopl 0x100(%%rax,%%rax,1)" :: "r"(i)); }
int main(void) { for (unsigned long i = 0; i < 30000000; i++) spot(i); return 0; }
`), 0o644)
	bin := filepath.Join(dir, "loop")
	if out, err := exec.Command("gcc", "-O1", "-fcf-protection=none", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	out, err := exec.Command("nm", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	spot := symbolAddr(t, string(out), "spot") + 0x555555554000 // PIE base without ASLR
	spawn := func() *Proc {
		p, err := Spawn(SpawnOptions{Path: bin, Argv: []string{bin}, CPU: -1})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A first run finds the registers at the 300th arrival, one with
	// int3s; the second finds that arrival with the trampoline.
	p := spawn()
	var want unix.PtraceRegs
	for i := 0; i < 300; i++ {
		want = stopAt(t, p, spot)
	}
	p.Kill()
	p = spawn()
	defer p.Kill()
	tr, err := p.NewTrampoline(&want, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Cont(0); err != nil {
		t.Fatal(err)
	}
	ws, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("want a SIGTRAP stop, got %s", Describe(ws))
	}
	regs, _ := p.Regs()
	if !tr.Matched(&regs) {
		t.Fatalf("stopped at %#x, not at the trampoline's match", regs.Rip)
	}
	if regs.Rip != spot || regs.Rdi != want.Rdi || regs.Eflags&0x8d5 != want.Eflags&0x8d5 {
		t.Fatalf("stopped with rip %#x rdi %d flags %#x, want %#x %d %#x", regs.Rip, regs.Rdi, regs.Eflags, spot, want.Rdi, want.Eflags)
	}
	if err := p.SetRegs(&regs); err != nil {
		t.Fatal(err)
	}
	if err := tr.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := p.Cont(0); err != nil {
		t.Fatal(err)
	}
	if ws, err := p.Wait(); err != nil || !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("the program did not finish cleanly: %s %v", Describe(ws), err)
	}
}

// stopAt runs p to its first arrival at addr, with an int3.
func stopAt(t *testing.T, p *Proc, addr uint64) unix.PtraceRegs {
	t.Helper()
	var orig [1]byte
	p.ReadMem(addr, orig[:])
	p.WriteMem(addr, []byte{0xcc})
	if err := p.Cont(0); err != nil {
		t.Fatal(err)
	}
	if ws, err := p.Wait(); err != nil || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("no breakpoint stop: %s %v", Describe(ws), err)
	}
	p.WriteMem(addr, orig[:])
	regs, _ := p.Regs()
	regs.Rip--
	p.SetRegs(&regs)
	// Step over it so the next stop is the next arrival.
	p.Step(0)
	p.Wait()
	return regs
}
