package arch

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// delveTarget mirrors how Delve's gdbserial parses target.xml: only
// <xi:include href> and <reg> that are direct children of the root.
type delveTarget struct {
	Includes []struct {
		Href string `xml:"href,attr"`
	} `xml:"xi include"`
	Regs []struct {
		Name    string `xml:"name,attr"`
		Bitsize int    `xml:"bitsize,attr"`
		Regnum  int    `xml:"regnum,attr"`
		Group   string `xml:"group,attr"`
	} `xml:"reg"`
	XMLName xml.Name
	Arch    string `xml:"architecture"`
	OSABI   string `xml:"osabi"`
}

type parsedReg struct {
	name            string
	bitsize, regnum int
	offset          int
}

// parseLikeDelve follows the includes and numbers/offsets registers the
// way Delve does (offsets in document order, regnum attribute or next).
func parseLikeDelve(t *testing.T, avx bool) (delveTarget, []parsedReg) {
	t.Helper()
	var root delveTarget
	if err := xml.Unmarshal(GDBTargetXML(avx), &root); err != nil {
		t.Fatalf("target.xml: %v", err)
	}
	var regs []parsedReg
	off, next := 0, 0
	for _, inc := range root.Includes {
		doc, ok := GDBFeatureXML(inc.Href, avx)
		if !ok {
			t.Fatalf("include %q not served", inc.Href)
		}
		var f delveTarget
		if err := xml.Unmarshal(doc, &f); err != nil {
			t.Fatalf("%s: %v", inc.Href, err)
		}
		// Delve reads annexes 0xfff bytes at a time and mangles a later
		// chunk whose second byte is ':'; one chunk avoids that.
		if len(doc) >= 0xfff {
			t.Errorf("%s is %d bytes, more than one 0xfff read", inc.Href, len(doc))
		}
		if bytes.ContainsAny(doc, "{}*$#") {
			t.Errorf("%s holds a character Delve or the framing would mangle", inc.Href)
		}
		if f.XMLName.Local != "feature" {
			t.Errorf("%s: root element %q, want feature", inc.Href, f.XMLName.Local)
		}
		for _, r := range f.Regs {
			n := r.Regnum
			if n == 0 {
				n = next
			}
			regs = append(regs, parsedReg{r.Name, r.Bitsize, n, off})
			off += r.Bitsize / 8
			next = n + 1
		}
	}
	return root, regs
}

func TestTargetXMLConsistent(t *testing.T) {
	for _, avx := range []bool{false, true} {
		root, regs := parseLikeDelve(t, avx)
		if root.Arch != "i386:x86-64" || root.OSABI != "GNU/Linux" {
			t.Errorf("avx=%v: architecture %q osabi %q", avx, root.Arch, root.OSABI)
		}
		if len(root.Regs) != 0 {
			t.Errorf("avx=%v: target.xml has %d direct regs, want all in features", avx, len(root.Regs))
		}
		tab := GDBRegisters(avx)
		if len(regs) != len(tab) {
			t.Fatalf("avx=%v: xml has %d regs, table %d", avx, len(regs), len(tab))
		}
		total := 0
		for i, r := range regs {
			want := tab[i]
			if r.name != want.Name || r.bitsize != want.Bitsize || r.regnum != want.Num || r.regnum != i || r.offset != want.Offset {
				t.Errorf("avx=%v: reg %d: have %+v want %+v", avx, i, r, want)
			}
			total += r.bitsize / 8
		}
		if total != GDBRegisterBytes(avx) {
			t.Errorf("avx=%v: xml total %d bytes, g packet %d", avx, total, GDBRegisterBytes(avx))
		}
		if g := EncodeGPacket(&RegisterSet{}, avx); len(g) != 2*total {
			t.Errorf("avx=%v: g packet %d hex chars, want %d", avx, len(g), 2*total)
		}
		hasAVX := strings.Contains(string(GDBTargetXML(avx)), "avx")
		if hasAVX != avx {
			t.Errorf("avx=%v: target.xml mentions avx: %v", avx, hasAVX)
		}
	}
}

func TestGDBOrder(t *testing.T) {
	want := map[string]int{"rax": 0, "rsp": 7, "rip": 16, "eflags": 17, "gs": 23, "st0": 24, "fctrl": 32,
		"fop": 39, "xmm0": 40, "mxcsr": 56, "orig_rax": 57, "fs_base": 58, "gs_base": 59, "ymm0h": 60, "ymm15h": 75}
	for name, n := range want {
		r, ok := GDBRegisterByName(name, true)
		if !ok || r.Num != n {
			t.Errorf("%s: have %d (found %v) want %d", name, r.Num, ok, n)
		}
	}
	if n := len(GDBRegisters(false)); n != 60 {
		t.Errorf("without avx: %d registers, want 60", n)
	}
	if _, ok := GDBRegisterByName("ymm0h", false); ok {
		t.Error("ymm0h present without avx")
	}
}

func testRegs() *RegisterSet {
	rs := &RegisterSet{XSave: make([]byte, 832)}
	rs.Regs.Rax = 0x1122334455667788
	rs.Regs.Rip = 0x401000
	rs.Regs.Rsp = 0x7ffc0000
	rs.Regs.Eflags = 0x246
	rs.Regs.Cs = 0x33
	rs.Regs.Fs_base = 0x7f0000001000
	rs.Regs.Orig_rax = ^uint64(0)
	x := rs.XSave
	binary.LittleEndian.PutUint16(x[XSaveFCW:], 0x37f)
	binary.LittleEndian.PutUint32(x[XSaveMXCSR:], 0x1f80)
	for i := 0; i < 16; i++ {
		x[XSaveXMM0+16*i] = byte(i + 1)
		x[XSaveYMMH0+16*i] = byte(0x80 + i)
	}
	// st0 = 1.0 (valid), top = 7 so st0 is physical register 7.
	binary.LittleEndian.PutUint16(x[XSaveFSW:], 7<<11)
	binary.LittleEndian.PutUint64(x[XSaveST0:], 1<<63)
	binary.LittleEndian.PutUint16(x[XSaveST0+8:], 0x3fff)
	x[XSaveFTW] = 1 << 7
	return rs
}

func TestEncodeRegisters(t *testing.T) {
	rs := testRegs()
	binary.LittleEndian.PutUint64(rs.XSave[XSaveHeader:], XFeatureAVX|3)
	g := EncodeGPacket(rs, true)
	for _, r := range GDBRegisters(true) {
		p, err := EncodeGDBRegister(rs, r.Num, true)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, g[2*r.Offset:2*(r.Offset+r.Size())]) {
			t.Errorf("%s: p %s differs from g slice", r.Name, p)
		}
	}
	check := func(name, want string) {
		t.Helper()
		r, _ := GDBRegisterByName(name, true)
		p, _ := EncodeGDBRegister(rs, r.Num, true)
		if string(p) != want {
			t.Errorf("%s: have %s want %s", name, p, want)
		}
	}
	check("rax", "8877665544332211")
	check("rip", "0010400000000000")
	check("eflags", "46020000")
	check("cs", "33000000")
	check("fs_base", "00100000007f0000")
	check("orig_rax", "ffffffffffffffff")
	check("fctrl", "7f030000")
	check("mxcsr", "801f0000")
	check("st0", "0000000000000080ff3f")
	check("ftag", "ff3f0000") // physical 7 valid (00), others empty (11)
	check("xmm3", "04000000000000000000000000000000")
	check("ymm2h", "82000000000000000000000000000000")

	// AVX state in its initial state: upper halves read as zero.
	binary.LittleEndian.PutUint64(rs.XSave[XSaveHeader:], 3)
	check("ymm2h", strings.Repeat("0", 32))

	if _, err := EncodeGDBRegister(rs, 76, true); !errors.Is(err, ErrNoRegister) {
		t.Errorf("reg 76: %v, want ErrNoRegister", err)
	}
	if _, err := EncodeGDBRegister(rs, 60, false); !errors.Is(err, ErrNoRegister) {
		t.Errorf("reg 60 without avx: %v, want ErrNoRegister", err)
	}
}

func TestShortXSave(t *testing.T) {
	for _, n := range []int{0, 3, 100, 511, 520, 600} {
		rs := testRegs()
		rs.XSave = rs.XSave[:n]
		g := EncodeGPacket(rs, true)
		if len(g) != 2*GDBRegisterBytes(true) {
			t.Fatalf("xsave %d bytes: g %d chars", n, len(g))
		}
		raw, _ := hex.DecodeString(string(g))
		if binary.LittleEndian.Uint64(raw) != rs.Regs.Rax {
			t.Errorf("xsave %d bytes: rax wrong", n)
		}
	}
	g := EncodeGPacket(nil, false)
	if len(g) != 2*GDBRegisterBytes(false) || strings.Trim(string(g), "0") != "" {
		t.Errorf("nil register set: %q", g)
	}
}

func TestLLDBRegisterInfo(t *testing.T) {
	generics := map[string]string{}
	for n := 0; ; n++ {
		info, ok := LLDBRegisterInfo(n, true)
		if !ok {
			if n != len(GDBRegisters(true)) {
				t.Fatalf("stopped at %d", n)
			}
			break
		}
		kv := map[string]string{}
		for _, f := range strings.Split(strings.TrimSuffix(info, ";"), ";") {
			k, v, ok := strings.Cut(f, ":")
			if !ok {
				t.Fatalf("reg %d: bad field %q in %q", n, f, info)
			}
			kv[k] = v
		}
		r := GDBRegisters(true)[n]
		if kv["name"] != r.Name || kv["bitsize"] != strconv.Itoa(r.Bitsize) || kv["offset"] != strconv.Itoa(r.Offset) {
			t.Errorf("reg %d: %q disagrees with table %+v", n, info, r)
		}
		if g := kv["generic"]; g != "" {
			generics[g] = r.Name
		}
	}
	want := map[string]string{"pc": "rip", "sp": "rsp", "fp": "rbp", "flags": "eflags", "arg1": "rdi",
		"arg2": "rsi", "arg3": "rdx", "arg4": "rcx", "arg5": "r8", "arg6": "r9"}
	for g, name := range want {
		if generics[g] != name {
			t.Errorf("generic %s: have %q want %q", g, generics[g], name)
		}
	}
}
