package preload

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"rewind/arch"
)

// TestLayout checks csrc/layout.h and layout.go give the same numbers.
func TestLayout(t *testing.T) {
	src, err := os.ReadFile("csrc/layout.h")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{
		"RW_REGION": Region, "RW_UNTRACED_OFF": UntracedOff, "RW_TRACED_OFF": TracedOff, "RW_EXEC_OFF": ExecOff, "RW_TRAP_OFF": TrapOff, "RW_CALL_OFF": CallOff,
		"RW_SLOT_SIZE": SlotSize, "RW_MAX_SLOTS": MaxSlots, "RW_RECORDS_OFF": RecordsOff, "RW_FILE_MAPS_OFF": FileMapsOff,
		"RW_PROGRAM": startProgram, "RW_TRAP_TSC": startTrapTSC, "RW_TRAP_CPUID": startTrapCPUID, "RW_TRAPS_SET": startTrapsSet, "RW_V10": startV10, "RW_REC_RDTSC": RecRDTSC,
		"RW_KNOWN_OFF": KnownOff, "RW_KNOWN_MAX": KnownMax, "RW_KNOWN_PATCHED": knownPatched, "RW_FILE_MAP_DATA": FileMapData,
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

// TestLibraryUpToDate rebuilds the library and compares it with the one
// checked in and embedded, so the two cannot drift.
func TestLibraryUpToDate(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatal("gcc is needed to check the preload library (scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	if b, err := exec.Command("sh", "build.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	built, err := os.ReadFile(filepath.Join(dir, "librewind_static.so"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, StaticLibrary) {
		t.Error("librewind_static.so is not what csrc/preload.c builds to: run go generate ./preload and commit")
	}
}

// TestBufferedCallsAreEmulated checks every call the library may buffer
// is one replay emulates, unless the library makes it again in replay
// (executes): a buffered call never reaches the replayer, so one the
// replayer would run must be run by the library.
func TestBufferedCallsAreEmulated(t *testing.T) {
	src, err := os.ReadFile("csrc/preload.c")
	if err != nil {
		t.Fatal(err)
	}
	body := string(src)
	cases := func(fn string) []string {
		start := strings.Index(body, "static int "+fn+"(")
		if start < 0 {
			t.Fatalf("%s not found in preload.c", fn)
		}
		end := strings.Index(body[start:], "\n}\n")
		var names []string
		for _, m := range regexp.MustCompile(`case __NR_(\w+):`).FindAllStringSubmatch(body[start:start+end], -1) {
			names = append(names, m[1])
		}
		return names
	}
	executed := map[string]bool{}
	for _, name := range cases("executes") {
		executed[name] = true
	}
	names := cases("classify")
	if len(names) < 40 || len(executed) == 0 {
		t.Fatalf("found only %d calls in classify, %d in executes", len(names), len(executed))
	}
	byName := map[string]*arch.Syscall{}
	for nr := uint64(0); nr < 512; nr++ {
		if sc := arch.LookupSyscall(nr); sc != nil {
			byName[sc.Name] = sc
		}
	}
	for _, name := range names {
		sc := byName[name]
		if sc == nil {
			t.Errorf("%s: unknown to arch", name)
			continue
		}
		want := arch.Emulate
		if executed[name] {
			want = arch.Execute
		}
		// The library refuses a disabled call too; it buffers an execve
		// only when it fails (exec_lookup), and replay returns that.
		if sc.Policy != want && !(sc.Policy == arch.Disable && !executed[name]) && name != "execve" {
			t.Errorf("%s: buffered as a call replay must %v, but arch says %v", name, want, sc.Policy)
		}
		delete(executed, name)
	}
	for name := range executed {
		t.Errorf("%s: executes lists it, classify does not", name)
	}
	for nr := uint32(0); nr < 512; nr++ {
		if sc := byName[arch.SyscallName(uint64(nr))]; sc != nil && Executes(nr) != slices.Contains(cases("executes"), sc.Name) {
			t.Errorf("%s: preload.Executes and executes in preload.c disagree", sc.Name)
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
	if rs := Records(b[:30]); len(rs) != 1 { // the second record cut short
		t.Errorf("Records of a cut slot: %d, want 1", len(rs))
	}
	h := Header{Mode: ModeReplay, Used: 40, Cap: 99}
	if DecodeHeader(h.Encode()) != h {
		t.Fatal("header does not round-trip")
	}
}

// TestFileMapRecord checks a buffered file mmap's data: the library's
// key, then the name rewind puts in its place, which must fit.
func TestFileMapRecord(t *testing.T) {
	key := FileKey{1, 2, 3, 4, 5}
	data := EncodeKnown([]KnownFile{{Key: key, Patched: true}})
	if len(data) != KnownEntry || data[5*8] != knownPatched {
		t.Fatalf("EncodeKnown: % x", data)
	}
	data = append(data, make([]byte, FileMapData-len(data))...)
	r := Record{Nr: unix.SYS_MMAP, Ret: 0x1000, Data: data}
	if !IsFileMap(r) || FileMapKey(r) != key {
		t.Fatalf("IsFileMap %v, key %v; want true, %v", IsFileMap(r), FileMapKey(r), key)
	}
	if IsFileMap(Record{Nr: unix.SYS_MMAP}) || IsFileMap(Record{Nr: unix.SYS_READ, Data: data}) {
		t.Error("an anonymous mmap or a read taken for a file mmap")
	}
	if !SetFileMapName(r, "libc.so.6-0123456789ab") || FileMapName(r.Data) != "libc.so.6-0123456789ab" {
		t.Errorf("name %q after SetFileMapName", FileMapName(r.Data))
	}
	if SetFileMapName(r, strings.Repeat("x", FileMapData)) {
		t.Error("a name as long as the data fits")
	}
}
