package arch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// RegisterSet is the full user-visible register state of one thread.
//
// XSave is the raw PTRACE_GETREGSET NT_X86_XSTATE area: the legacy FXSAVE
// region at 0..511 (fcw fsw ftw(abridged) fop fip fdp mxcsr, st0-7 at
// 32+16*i, xmm0-15 at 160+16*i), the xsave header at 512 (XSTATE_BV is its
// first 8 bytes) and the AVX upper halves ymm0h-15h at 576+16*i. XSave may be
// nil or short: whatever it does not cover reads as zero.
type RegisterSet struct {
	Regs  unix.PtraceRegs
	XSave []byte
}

// Offsets in the XSAVE area (Intel SDM vol. 1, 10.5.1 and 13.4).
const (
	XSaveFCW    = 0   // x87 control word, 16 bits
	XSaveFSW    = 2   // x87 status word, 16 bits
	XSaveFTW    = 4   // abridged x87 tag word, 8 bits (1 = register valid)
	XSaveFOP    = 6   // last x87 opcode, 11 bits
	XSaveFIP    = 8   // last x87 instruction pointer, 64 bits
	XSaveFDP    = 16  // last x87 data pointer, 64 bits
	XSaveMXCSR  = 24  // SSE control/status, 32 bits
	XSaveST0    = 32  // st0..st7 (mm0..mm7), 16 bytes apart, 10 used
	XSaveXMM0   = 160 // xmm0..xmm15, 16 bytes each
	XSaveHeader = 512 // XSTATE_BV (8 bytes), XCOMP_BV (8 bytes), reserved
	XSaveYMMH0  = 576 // upper 128 bits of ymm0..ymm15, 16 bytes each

	// XFeatureAVX is the XSTATE_BV bit saying the AVX state component is
	// not in its initial (all-zero) state.
	XFeatureAVX = 1 << 2
)

// ErrNoRegister is returned for a register number the description lacks.
var ErrNoRegister = errors.New("no such register")

// Feature is one gdb target-description feature of the x86-64 Linux
// register set. Each is served as its own XML document included from
// target.xml, in this order (which is also the register-number order).
type Feature uint8

const (
	FeatureCore     Feature = iota // org.gnu.gdb.i386.core
	FeatureSSE                     // org.gnu.gdb.i386.sse
	FeatureLinux                   // org.gnu.gdb.i386.linux (orig_rax)
	FeatureSegments                // org.gnu.gdb.i386.segments (fs_base, gs_base)
	FeatureAVX                     // org.gnu.gdb.i386.avx (ymm0h..ymm15h)
	numFeatures
)

var featureNames = [numFeatures]struct{ name, file string }{
	FeatureCore:     {"org.gnu.gdb.i386.core", "64bit-core.xml"},
	FeatureSSE:      {"org.gnu.gdb.i386.sse", "64bit-sse.xml"},
	FeatureLinux:    {"org.gnu.gdb.i386.linux", "64bit-linux.xml"},
	FeatureSegments: {"org.gnu.gdb.i386.segments", "64bit-segments.xml"},
	FeatureAVX:      {"org.gnu.gdb.i386.avx", "64bit-avx.xml"},
}

// Name is the feature's gdb name, e.g. "org.gnu.gdb.i386.core".
func (f Feature) Name() string {
	if f < numFeatures {
		return featureNames[f].name
	}
	return fmt.Sprintf("Feature(%d)", f)
}

// File is the annex under which the feature's document is served.
func (f Feature) File() string {
	if f < numFeatures {
		return featureNames[f].file
	}
	return ""
}

func (f Feature) String() string { return f.Name() }

// Register sets as lldb names them in qRegisterInfo.
const (
	SetGPR = "General Purpose Registers"
	SetFPR = "Floating Point Registers"
	SetAVX = "Advanced Vector Extensions"
)

// GDBReg describes one register of the remote-protocol register file.
type GDBReg struct {
	Num     int    // register number: position in the g packet, argument of p
	Name    string // gdb name
	Bitsize int
	Offset  int    // byte offset in the (decoded) g packet
	Type    string // gdb tdesc type
	Group   string // gdb register group, "" for the default
	Feature Feature

	// lldb qRegisterInfo facts.
	Encoding string // uint, ieee754, vector
	Format   string // hex, vector-uint8, ...
	Set      string
	DWARF    int    // DWARF (and eh_frame) number, -1 when none
	Generic  string // pc, sp, fp, flags, arg1..arg6 or ""

	get func(rs *RegisterSet, out []byte)
}

// Size is the register's size in bytes.
func (r *GDBReg) Size() int { return r.Bitsize / 8 }

// Value appends the register's little-endian bytes read from rs to dst.
func (r *GDBReg) Value(dst []byte, rs *RegisterSet) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, r.Size())...)
	if rs != nil {
		r.get(rs, dst[n:])
	}
	return dst
}

func gpr(f func(*unix.PtraceRegs) uint64) func(*RegisterSet, []byte) {
	return func(rs *RegisterSet, out []byte) {
		v := f(&rs.Regs)
		switch len(out) {
		case 8:
			binary.LittleEndian.PutUint64(out, v)
		case 4:
			binary.LittleEndian.PutUint32(out, uint32(v))
		}
	}
}

// xs copies n bytes at off of the xsave area (zero where it is short).
func xs(off int) func(*RegisterSet, []byte) {
	return func(rs *RegisterSet, out []byte) {
		if off < len(rs.XSave) {
			copy(out, rs.XSave[off:])
		}
	}
}

// xsField reads a 16- or 32-bit field, masks it and widens it to 32 bits.
func xsField(off, size int, mask uint32) func(*RegisterSet, []byte) {
	return func(rs *RegisterSet, out []byte) {
		if off+size > len(rs.XSave) {
			return
		}
		var v uint32
		if size == 2 {
			v = uint32(binary.LittleEndian.Uint16(rs.XSave[off:]))
		} else {
			v = binary.LittleEndian.Uint32(rs.XSave[off:])
		}
		binary.LittleEndian.PutUint32(out, v&mask)
	}
}

func ymmh(i int) func(*RegisterSet, []byte) {
	off := XSaveYMMH0 + 16*i
	return func(rs *RegisterSet, out []byte) {
		if len(rs.XSave) < XSaveHeader+8 || off+16 > len(rs.XSave) {
			return
		}
		if binary.LittleEndian.Uint64(rs.XSave[XSaveHeader:])&XFeatureAVX == 0 {
			return
		}
		copy(out, rs.XSave[off:off+16])
	}
}

// fullTagWord expands the abridged FXSAVE tag byte into the x87 tag word
// gdb shows as ftag (2 bits per physical register: 0 valid, 1 zero,
// 2 special, 3 empty).
func fullTagWord(rs *RegisterSet, out []byte) {
	x := rs.XSave
	if len(x) < XSaveST0+8*16 {
		if len(x) > XSaveFTW {
			// No register contents: mark every register empty unless valid.
			var tw uint32
			for i := 0; i < 8; i++ {
				if x[XSaveFTW]&(1<<i) == 0 {
					tw |= 3 << (2 * i)
				}
			}
			binary.LittleEndian.PutUint32(out, tw)
		}
		return
	}
	top := int(binary.LittleEndian.Uint16(x[XSaveFSW:])>>11) & 7
	var tw uint32
	for phys := 0; phys < 8; phys++ {
		tag := uint32(3)
		if x[XSaveFTW]&(1<<phys) != 0 {
			st := (phys - top) & 7
			reg := x[XSaveST0+16*st:]
			mant := binary.LittleEndian.Uint64(reg)
			exp := binary.LittleEndian.Uint16(reg[8:]) & 0x7fff
			switch {
			case exp == 0x7fff:
				tag = 2
			case exp == 0 && mant == 0:
				tag = 1
			case exp == 0:
				tag = 2
			case mant>>63 == 0:
				tag = 2
			default:
				tag = 0
			}
		}
		tw |= tag << (2 * phys)
	}
	binary.LittleEndian.PutUint32(out, tw)
}

type regDef struct {
	name, typ, group string
	bits             int
	feature          Feature
	enc, format, set string
	dwarf            int
	generic          string
	get              func(*RegisterSet, []byte)
}

func gprDef(name, typ string, dwarf int, generic string, f func(*unix.PtraceRegs) uint64) regDef {
	return regDef{name: name, typ: typ, bits: 64, feature: FeatureCore, enc: "uint", format: "hex",
		set: SetGPR, dwarf: dwarf, generic: generic, get: gpr(f)}
}

func seg(name string, dwarf int, f func(*unix.PtraceRegs) uint64) regDef {
	return regDef{name: name, typ: "int32", bits: 32, feature: FeatureCore, enc: "uint", format: "hex",
		set: SetGPR, dwarf: dwarf, get: gpr(f)}
}

func fpctl(name string, dwarf int, get func(*RegisterSet, []byte)) regDef {
	return regDef{name: name, typ: "int", group: "float", bits: 32, feature: FeatureCore, enc: "uint",
		format: "hex", set: SetFPR, dwarf: dwarf, get: get}
}

// regDefs is the one table everything here is generated from, in gdb's
// amd64-linux order (the order gdbserver and rr use): core (0-39), sse
// (40-56), orig_rax (57), fs_base/gs_base (58-59), avx (60-75).
var regDefs = func() []regDef {
	d := []regDef{
		gprDef("rax", "int64", 0, "", func(r *unix.PtraceRegs) uint64 { return r.Rax }),
		gprDef("rbx", "int64", 3, "", func(r *unix.PtraceRegs) uint64 { return r.Rbx }),
		gprDef("rcx", "int64", 2, "arg4", func(r *unix.PtraceRegs) uint64 { return r.Rcx }),
		gprDef("rdx", "int64", 1, "arg3", func(r *unix.PtraceRegs) uint64 { return r.Rdx }),
		gprDef("rsi", "int64", 4, "arg2", func(r *unix.PtraceRegs) uint64 { return r.Rsi }),
		gprDef("rdi", "int64", 5, "arg1", func(r *unix.PtraceRegs) uint64 { return r.Rdi }),
		gprDef("rbp", "data_ptr", 6, "fp", func(r *unix.PtraceRegs) uint64 { return r.Rbp }),
		gprDef("rsp", "data_ptr", 7, "sp", func(r *unix.PtraceRegs) uint64 { return r.Rsp }),
		gprDef("r8", "int64", 8, "arg5", func(r *unix.PtraceRegs) uint64 { return r.R8 }),
		gprDef("r9", "int64", 9, "arg6", func(r *unix.PtraceRegs) uint64 { return r.R9 }),
		gprDef("r10", "int64", 10, "", func(r *unix.PtraceRegs) uint64 { return r.R10 }),
		gprDef("r11", "int64", 11, "", func(r *unix.PtraceRegs) uint64 { return r.R11 }),
		gprDef("r12", "int64", 12, "", func(r *unix.PtraceRegs) uint64 { return r.R12 }),
		gprDef("r13", "int64", 13, "", func(r *unix.PtraceRegs) uint64 { return r.R13 }),
		gprDef("r14", "int64", 14, "", func(r *unix.PtraceRegs) uint64 { return r.R14 }),
		gprDef("r15", "int64", 15, "", func(r *unix.PtraceRegs) uint64 { return r.R15 }),
		gprDef("rip", "code_ptr", 16, "pc", func(r *unix.PtraceRegs) uint64 { return r.Rip }),
		{name: "eflags", typ: "i386_eflags", bits: 32, feature: FeatureCore, enc: "uint", format: "hex",
			set: SetGPR, dwarf: 49, generic: "flags", get: gpr(func(r *unix.PtraceRegs) uint64 { return r.Eflags })},
		seg("cs", 51, func(r *unix.PtraceRegs) uint64 { return r.Cs }),
		seg("ss", 52, func(r *unix.PtraceRegs) uint64 { return r.Ss }),
		seg("ds", 53, func(r *unix.PtraceRegs) uint64 { return r.Ds }),
		seg("es", 50, func(r *unix.PtraceRegs) uint64 { return r.Es }),
		seg("fs", 54, func(r *unix.PtraceRegs) uint64 { return r.Fs }),
		seg("gs", 55, func(r *unix.PtraceRegs) uint64 { return r.Gs }),
	}
	for i := 0; i < 8; i++ {
		d = append(d, regDef{name: fmt.Sprintf("st%d", i), typ: "i387_ext", bits: 80, feature: FeatureCore,
			enc: "vector", format: "vector-uint8", set: SetFPR, dwarf: 33 + i, get: xs(XSaveST0 + 16*i)})
	}
	d = append(d,
		fpctl("fctrl", 65, xsField(XSaveFCW, 2, 0xffff)),
		fpctl("fstat", 66, xsField(XSaveFSW, 2, 0xffff)),
		fpctl("ftag", -1, fullTagWord),
		fpctl("fiseg", -1, xsField(XSaveFIP+4, 4, 0xffffffff)),
		fpctl("fioff", -1, xsField(XSaveFIP, 4, 0xffffffff)),
		fpctl("foseg", -1, xsField(XSaveFDP+4, 4, 0xffffffff)),
		fpctl("fooff", -1, xsField(XSaveFDP, 4, 0xffffffff)),
		fpctl("fop", -1, xsField(XSaveFOP, 2, 0x7ff)),
	)
	for i := 0; i < 16; i++ {
		d = append(d, regDef{name: fmt.Sprintf("xmm%d", i), typ: "vec128", bits: 128, feature: FeatureSSE,
			enc: "vector", format: "vector-uint8", set: SetFPR, dwarf: 17 + i, get: xs(XSaveXMM0 + 16*i)})
	}
	d = append(d,
		regDef{name: "mxcsr", typ: "i386_mxcsr", group: "vector", bits: 32, feature: FeatureSSE,
			enc: "uint", format: "hex", set: SetFPR, dwarf: 64, get: xsField(XSaveMXCSR, 4, 0xffffffff)},
		regDef{name: "orig_rax", typ: "int", bits: 64, feature: FeatureLinux, enc: "uint", format: "hex",
			set: SetGPR, dwarf: -1, get: gpr(func(r *unix.PtraceRegs) uint64 { return r.Orig_rax })},
		regDef{name: "fs_base", typ: "int", bits: 64, feature: FeatureSegments, enc: "uint", format: "hex",
			set: SetGPR, dwarf: 58, get: gpr(func(r *unix.PtraceRegs) uint64 { return r.Fs_base })},
		regDef{name: "gs_base", typ: "int", bits: 64, feature: FeatureSegments, enc: "uint", format: "hex",
			set: SetGPR, dwarf: 59, get: gpr(func(r *unix.PtraceRegs) uint64 { return r.Gs_base })},
	)
	for i := 0; i < 16; i++ {
		d = append(d, regDef{name: fmt.Sprintf("ymm%dh", i), typ: "uint128", bits: 128, feature: FeatureAVX,
			enc: "vector", format: "vector-uint8", set: SetAVX, dwarf: -1, get: ymmh(i)})
	}
	return d
}()

var regTables = [2][]GDBReg{buildTable(false), buildTable(true)}

func buildTable(avx bool) []GDBReg {
	var t []GDBReg
	off := 0
	for _, d := range regDefs {
		if d.feature == FeatureAVX && !avx {
			continue
		}
		t = append(t, GDBReg{
			Num: len(t), Name: d.name, Bitsize: d.bits, Offset: off, Type: d.typ, Group: d.group,
			Feature: d.feature, Encoding: d.enc, Format: d.format, Set: d.set, DWARF: d.dwarf,
			Generic: d.generic, get: d.get,
		})
		off += d.bits / 8
	}
	return t
}

func table(avx bool) []GDBReg {
	if avx {
		return regTables[1]
	}
	return regTables[0]
}

// GDBRegisters returns the register file the stub serves, in register
// number order; avx says whether the ymm upper halves are included. The
// result must not be modified.
func GDBRegisters(avx bool) []GDBReg { return table(avx) }

// GDBRegisterBytes is the size of the register file (the decoded g packet).
func GDBRegisterBytes(avx bool) int {
	t := table(avx)
	last := t[len(t)-1]
	return last.Offset + last.Size()
}

// GDBRegisterByName finds a register by its gdb name.
func GDBRegisterByName(name string, avx bool) (GDBReg, bool) {
	for _, r := range table(avx) {
		if r.Name == name {
			return r, true
		}
	}
	return GDBReg{}, false
}

const hexDigits = "0123456789abcdef"

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// GDBRegisterFile returns the raw register file: every register's
// little-endian bytes, concatenated in register number order.
func GDBRegisterFile(rs *RegisterSet, avx bool) []byte {
	out := make([]byte, 0, GDBRegisterBytes(avx))
	for i := range table(avx) {
		r := &table(avx)[i]
		out = r.Value(out, rs)
	}
	return out
}

// EncodeGPacket returns the payload of the reply to g: the register file in
// lowercase hex.
func EncodeGPacket(rs *RegisterSet, avx bool) []byte {
	raw := GDBRegisterFile(rs, avx)
	return appendHex(make([]byte, 0, 2*len(raw)), raw)
}

// EncodeGDBRegister returns the payload of the reply to p<regnum>: one
// register in lowercase hex. It fails with ErrNoRegister for a number
// outside the description.
func EncodeGDBRegister(rs *RegisterSet, regnum int, avx bool) ([]byte, error) {
	t := table(avx)
	if regnum < 0 || regnum >= len(t) {
		return nil, fmt.Errorf("register %d: %w", regnum, ErrNoRegister)
	}
	raw := t[regnum].Value(nil, rs)
	return appendHex(make([]byte, 0, 2*len(raw)), raw), nil
}

// Type definitions each feature document carries before its registers.
var featureTypes = [numFeatures]string{
	FeatureCore: `  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/>
    <field name="" start="1" end="1"/>
    <field name="PF" start="2" end="2"/>
    <field name="AF" start="4" end="4"/>
    <field name="ZF" start="6" end="6"/>
    <field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/>
    <field name="IF" start="9" end="9"/>
    <field name="DF" start="10" end="10"/>
    <field name="OF" start="11" end="11"/>
    <field name="NT" start="14" end="14"/>
    <field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/>
    <field name="AC" start="18" end="18"/>
    <field name="VIF" start="19" end="19"/>
    <field name="VIP" start="20" end="20"/>
    <field name="ID" start="21" end="21"/>
  </flags>
`,
	FeatureSSE: `  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
  <union id="vec128">
    <field name="v4_float" type="v4f"/>
    <field name="v2_double" type="v2d"/>
    <field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/>
    <field name="v4_int32" type="v4i32"/>
    <field name="v2_int64" type="v2i64"/>
    <field name="uint128" type="uint128"/>
  </union>
  <flags id="i386_mxcsr" size="4">
    <field name="IE" start="0" end="0"/>
    <field name="DE" start="1" end="1"/>
    <field name="ZE" start="2" end="2"/>
    <field name="OE" start="3" end="3"/>
    <field name="UE" start="4" end="4"/>
    <field name="PE" start="5" end="5"/>
    <field name="DAZ" start="6" end="6"/>
    <field name="IM" start="7" end="7"/>
    <field name="DM" start="8" end="8"/>
    <field name="ZM" start="9" end="9"/>
    <field name="OM" start="10" end="10"/>
    <field name="UM" start="11" end="11"/>
    <field name="PM" start="12" end="12"/>
    <field name="FZ" start="15" end="15"/>
  </flags>
`,
}

// GDBFeatures lists the features of the description, in document order.
func GDBFeatures(avx bool) []Feature {
	f := []Feature{FeatureCore, FeatureSSE, FeatureLinux, FeatureSegments}
	if avx {
		f = append(f, FeatureAVX)
	}
	return f
}

// GDBTargetXML is target.xml: the architecture, the OS ABI and one
// xi:include per feature (no xmlns on xi: Delve matches the bare prefix).
func GDBTargetXML(avx bool) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n")
	b.WriteString("  <architecture>i386:x86-64</architecture>\n  <osabi>GNU/Linux</osabi>\n")
	for _, f := range GDBFeatures(avx) {
		fmt.Fprintf(&b, "  <xi:include href=\"%s\"/>\n", f.File())
	}
	b.WriteString("</target>\n")
	return []byte(b.String())
}

// GDBFeatureXML returns the document served for an annex of
// qXfer:features:read: "target.xml" or one of the feature files.
func GDBFeatureXML(annex string, avx bool) ([]byte, bool) {
	if annex == "target.xml" {
		return GDBTargetXML(avx), true
	}
	for _, f := range GDBFeatures(avx) {
		if f.File() != annex {
			continue
		}
		var b strings.Builder
		b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n")
		fmt.Fprintf(&b, "<feature name=\"%s\">\n", f.Name())
		b.WriteString(featureTypes[f])
		for _, r := range table(avx) {
			if r.Feature != f {
				continue
			}
			fmt.Fprintf(&b, "  <reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"", r.Name, r.Bitsize, r.Type, r.Num)
			if r.Group != "" {
				fmt.Fprintf(&b, " group=\"%s\"", r.Group)
			}
			b.WriteString("/>\n")
		}
		b.WriteString("</feature>\n")
		return []byte(b.String()), true
	}
	return nil, false
}

// LLDBRegisterInfo is the reply to qRegisterInfo<regnum> (lldb's
// alternative to target.xml, which Delve tries first); false past the last
// register.
func LLDBRegisterInfo(regnum int, avx bool) (string, bool) {
	t := table(avx)
	if regnum < 0 || regnum >= len(t) {
		return "", false
	}
	r := t[regnum]
	var b strings.Builder
	fmt.Fprintf(&b, "name:%s;bitsize:%d;offset:%d;encoding:%s;format:%s;set:%s;",
		r.Name, r.Bitsize, r.Offset, r.Encoding, r.Format, r.Set)
	if r.DWARF >= 0 {
		fmt.Fprintf(&b, "gcc:%d;dwarf:%d;", r.DWARF, r.DWARF)
	}
	if r.Generic != "" {
		fmt.Fprintf(&b, "generic:%s;", r.Generic)
	}
	return b.String(), true
}

// GDBRegOrigRAX is the number of orig_rax in the g packet and target.xml.
const GDBRegOrigRAX = 57
