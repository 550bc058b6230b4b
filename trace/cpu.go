package trace

import (
	"encoding/binary"
	"fmt"
	"strings"

	"rewind/arch"
)

// cpuLeaves are the CPUID leaves whose results decide which code paths
// libraries pick (ifuncs): replay on a CPU where they differ may diverge.
var cpuLeaves = [][2]uint32{{0, 0}, {1, 0}, {7, 0}, {7, 1}, {0xd, 0}, {0xd, 1}, {0x80000001, 0}}

// HostCPU describes the CPU this process runs on.
func HostCPU() CPU {
	var c CPU
	_, b, cx, d := arch.CPUID(0, 0)
	var v [12]byte
	binary.LittleEndian.PutUint32(v[0:], b)
	binary.LittleEndian.PutUint32(v[4:], d)
	binary.LittleEndian.PutUint32(v[8:], cx)
	c.Vendor = string(v[:])
	a, _, _, _ := arch.CPUID(1, 0)
	c.Stepping = a & 0xf
	c.Model = (a>>4)&0xf | (a>>16&0xf)<<4
	c.Family = (a>>8)&0xf + (a>>20)&0xff
	var brand []byte
	for l := uint32(0x80000002); l <= 0x80000004; l++ {
		a, b, cx, d := arch.CPUID(l, 0)
		for _, r := range []uint32{a, b, cx, d} {
			brand = binary.LittleEndian.AppendUint32(brand, r)
		}
	}
	c.Brand = strings.TrimSpace(strings.TrimRight(string(brand), "\x00"))
	for _, l := range cpuLeaves {
		a, b, cx, d := arch.CPUID(l[0], l[1])
		if l[0] == 1 {
			b &= 0x00ffffff // APIC id: differs per core
		}
		c.Leaves = append(c.Leaves, CPUIDLeaf{Leaf: l[0], Subleaf: l[1], EAX: a, EBX: b, ECX: cx, EDX: d})
	}
	return c
}

// Differences lists how o differs from c in what programs can observe.
func (c CPU) Differences(o CPU) []string {
	var diffs []string
	if c.Vendor != o.Vendor || c.Family != o.Family || c.Model != o.Model {
		diffs = append(diffs, fmt.Sprintf("recorded on %s (%s family %d model %d), replaying on %s (%s family %d model %d)",
			c.Brand, c.Vendor, c.Family, c.Model, o.Brand, o.Vendor, o.Family, o.Model))
	}
	want := map[[2]uint32]CPUIDLeaf{}
	for _, l := range o.Leaves {
		want[[2]uint32{l.Leaf, l.Subleaf}] = l
	}
	for _, l := range c.Leaves {
		if w, ok := want[[2]uint32{l.Leaf, l.Subleaf}]; ok && w != l {
			diffs = append(diffs, fmt.Sprintf("CPUID leaf %#x.%d differs", l.Leaf, l.Subleaf))
		}
	}
	return diffs
}
