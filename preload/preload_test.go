package preload

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rewind/arch"
)

// TestLayout checks csrc/layout.h and layout.go give the same numbers.
func TestLayout(t *testing.T) {
	src, err := os.ReadFile("csrc/layout.h")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{
		"RW_REGION": Region, "RW_UNTRACED_OFF": UntracedOff, "RW_TRACED_OFF": TracedOff,
		"RW_SLOT_SIZE": SlotSize, "RW_MAX_SLOTS": MaxSlots, "RW_RECORDS_OFF": RecordsOff,
		"RW_SYS_REGISTER": SysRegister, "RW_SYS_DIVERGED": SysDiverged, "RW_ABORT": Abort,
		"RW_MARKER_TRACED": MarkerTraced, "RW_MODE_RECORD": ModeRecord, "RW_MODE_REPLAY": ModeReplay, "RW_MODE_FREE": ModeFree,
	}
	def := regexp.MustCompile(`(?m)^#define (RW_\w+) (0x[0-9a-f]+|\d+)`)
	seen := 0
	for _, m := range def.FindAllStringSubmatch(string(src), -1) {
		w, ok := want[m[1]]
		if !ok {
			continue
		}
		seen++
		v, err := strconv.ParseUint(m[2], 0, 64)
		if err != nil || v != w {
			t.Errorf("%s: layout.h has %s, layout.go %#x", m[1], m[2], w)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d constants in layout.h", seen, len(want))
	}
	if SysRegister != arch.SysRewindRegister || SysDiverged != arch.SysRewindDiverged {
		t.Error("the library's call numbers differ from arch's")
	}
}

// TestLibraryUpToDate rebuilds both variants of the library and compares
// them with the ones checked in and embedded, so the two cannot drift.
func TestLibraryUpToDate(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatal("gcc is needed to check the preload library (scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	if b, err := exec.Command("sh", "build.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	for name, embedded := range map[string][]byte{"librewind_preload.so": Library, "librewind_static.so": StaticLibrary} {
		built, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, embedded) {
			t.Errorf("%s is not what csrc/preload.c builds to: run go generate ./preload and commit", name)
		}
	}
}

// TestBufferedCallsAreEmulated checks every call the library may buffer
// is one replay emulates: a buffered call never reaches the replayer, so
// it must not be one that replay has to execute.
func TestBufferedCallsAreEmulated(t *testing.T) {
	src, err := os.ReadFile("csrc/preload.c")
	if err != nil {
		t.Fatal(err)
	}
	body := string(src)
	start := strings.Index(body, "static int classify(")
	end := strings.Index(body[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("classify not found in preload.c")
	}
	names := regexp.MustCompile(`case __NR_(\w+):`).FindAllStringSubmatch(body[start:start+end], -1)
	if len(names) < 40 {
		t.Fatalf("found only %d calls in classify", len(names))
	}
	byName := map[string]*arch.Syscall{}
	for nr := uint64(0); nr < 512; nr++ {
		if sc := arch.LookupSyscall(nr); sc != nil {
			byName[sc.Name] = sc
		}
	}
	for _, m := range names {
		name := m[1]
		sc := byName[name]
		if sc == nil {
			t.Errorf("%s: unknown to arch", name)
			continue
		}
		if sc.Policy != arch.Emulate {
			t.Errorf("%s: buffered, but replay must %v it", name, sc.Policy)
		}
	}
}

func TestRecords(t *testing.T) {
	b := []byte{
		0, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0, 0, // read → 3, "abc"
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // marker
	}
	rs := Records(b)
	if len(rs) != 2 || rs[0].Nr != 0 || rs[0].Ret != 3 || string(rs[0].Data) != "abc" || rs[1].Nr != MarkerTraced {
		t.Fatalf("Records = %+v", rs)
	}
	if n := CountRecords(b); n != 2 {
		t.Errorf("CountRecords = %d, want 2", n)
	}
	if n := CountRecords(b[:30]); n != 1 { // the second record cut short
		t.Errorf("CountRecords of a cut slot = %d, want 1", n)
	}
	h := Header{Mode: ModeReplay, Used: 40, Cap: 99}
	if DecodeHeader(h.Encode()) != h {
		t.Fatal("header does not round-trip")
	}
}
