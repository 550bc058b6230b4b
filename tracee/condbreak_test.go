package tracee

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The conditional breakpoint stops a loop at exactly the pass whose
// registers match, and lets the others run.
func TestCondBreak(t *testing.T) {
	if prog, err := loadMatcher(&unix.PtraceRegs{}, condRegs); err != nil {
		t.Skipf("conditional breakpoints unavailable here: %v", err)
	} else {
		unix.Close(prog)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "loop.c")
	os.WriteFile(src, []byte(`
__attribute__((noinline)) void spot(unsigned long i) { __asm__ volatile("" :: "r"(i)); }
int main(void) { for (unsigned long i = 0; i < 300000; i++) spot(i); return 0; }
`), 0o644)
	bin := filepath.Join(dir, "loop")
	if out, err := exec.Command("gcc", "-O1", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := Spawn(SpawnOptions{Path: bin, Argv: []string{bin}, CPU: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	out, err := exec.Command("nm", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	spot := symbolAddr(t, string(out), "spot") + 0x555555554000 // PIE base without ASLR
	want := unix.PtraceRegs{Rip: spot, Rdi: 234_567}
	cb, err := newCondBreak(p.Pid, &want, []int{14, 16}) // rdi, rip
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	if err := p.Cont(0); err != nil {
		t.Fatal(err)
	}
	ws, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGSTOP {
		t.Fatalf("want a SIGSTOP stop, got %s", Describe(ws))
	}
	regs, _ := p.Regs()
	if regs.Rip != spot || regs.Rdi != want.Rdi {
		t.Fatalf("stopped at rip %#x rdi %d, want %#x %d", regs.Rip, regs.Rdi, spot, want.Rdi)
	}
}

func symbolAddr(t *testing.T, nm, name string) uint64 {
	for _, line := range splitLines(nm) {
		var addr uint64
		var typ, sym string
		if n, _ := sscan(line, &addr, &typ, &sym); n == 3 && sym == name {
			return addr
		}
	}
	t.Fatalf("no symbol %s", name)
	return 0
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

func sscan(line string, addr *uint64, typ, sym *string) (int, error) {
	return fmt.Sscanf(line, "%x %s %s", addr, typ, sym)
}
