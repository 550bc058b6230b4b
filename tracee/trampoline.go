package tracee

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// Trampoline is a conditional breakpoint evaluated inside the tracee: the
// instructions at an address are replaced by a jump to injected code that
// compares every general register with wanted values and traps (int3)
// only when they all match; otherwise it runs the displaced instructions
// and jumps back. A pass costs a few nanoseconds instead of a ptrace stop,
// so a soft-mode point in a hot loop is found at nearly native speed.
type Trampoline struct {
	p       *Proc
	page    uint64 // the injected mapping: code, then scratch
	at      uint64 // patched address
	orig    []byte // the instructions displaced from at
	match   uint64 // address of the int3 hit on a match
	reloc   uint64 // the displaced instructions, relocated
	n       int    // how many bytes were displaced
	removed bool
}

const trampSize = 2 * pageSize

// Register numbers (x86 encoding) of the registers compared, with a
// function reading each from PtraceRegs.
var trampRegs = []struct {
	num int
	get func(*unix.PtraceRegs) uint64
}{
	{1, func(r *unix.PtraceRegs) uint64 { return r.Rcx }}, {2, func(r *unix.PtraceRegs) uint64 { return r.Rdx }},
	{3, func(r *unix.PtraceRegs) uint64 { return r.Rbx }}, {4, func(r *unix.PtraceRegs) uint64 { return r.Rsp }},
	{5, func(r *unix.PtraceRegs) uint64 { return r.Rbp }}, {6, func(r *unix.PtraceRegs) uint64 { return r.Rsi }},
	{7, func(r *unix.PtraceRegs) uint64 { return r.Rdi }}, {8, func(r *unix.PtraceRegs) uint64 { return r.R8 }},
	{9, func(r *unix.PtraceRegs) uint64 { return r.R9 }}, {10, func(r *unix.PtraceRegs) uint64 { return r.R10 }},
	{11, func(r *unix.PtraceRegs) uint64 { return r.R11 }}, {12, func(r *unix.PtraceRegs) uint64 { return r.R12 }},
	{13, func(r *unix.PtraceRegs) uint64 { return r.R13 }}, {14, func(r *unix.PtraceRegs) uint64 { return r.R14 }},
	{15, func(r *unix.PtraceRegs) uint64 { return r.R15 }},
}

// Patchable tells whether a trampoline can go at the start of code: its
// first instruction is long enough for the jump and can be relocated.
// Stop reports an instruction that must not be single-stepped over by a
// tracer looking for such a place (a syscall or a trapped instruction).
func Patchable(code []byte) (ok, stop bool) {
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return false, true
	}
	switch inst.Op {
	case x86asm.SYSCALL, x86asm.RDTSC, x86asm.RDTSCP, x86asm.CPUID, x86asm.INT, x86asm.UD2:
		return false, true
	}
	return inst.Len >= 5 && relocatable(inst), false
}

// Repeating reports a rep-prefixed string instruction: a thread stopped
// there may be between two of its iterations, a state no breakpoint at
// the instruction's address ever sees again.
func Repeating(code []byte) bool {
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return false
	}
	rep := false
	for _, p := range inst.Prefix {
		if p&0xff == x86asm.PrefixREP || p&0xff == x86asm.PrefixREPN {
			rep = true
		}
	}
	switch inst.Op {
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ, x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ,
		x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ, x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ,
		x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ, x86asm.INSB, x86asm.INSW, x86asm.INSD,
		x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD:
		return rep
	}
	return false
}

func relocatable(inst x86asm.Inst) bool {
	switch inst.Op {
	case x86asm.CALL, x86asm.LCALL, x86asm.RET, x86asm.LRET, x86asm.JMP, x86asm.LJMP, x86asm.SYSCALL,
		x86asm.INT, x86asm.UD2, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE, x86asm.JRCXZ, x86asm.JECXZ:
		return false
	}
	return inst.PCRel == 0 || inst.PCRel == 4 || inst.PCRel == 1 && inst.Len == 2
}

// ErrNotPatchable: the code at the address cannot be displaced safely.
var ErrNotPatchable = errors.New("the code there cannot be patched")

// NewTrampoline patches the code at want.Rip of the stopped thread p. The
// thread must be stopped where a syscall can be injected. An unconditional
// jump there is followed: arriving at its target with the same registers
// and memory is the same state, one instruction on (At tells where).
// Besides the registers, the trampoline compares the memory from below
// bytes under the stack pointer with stack (whole words of it), where
// unoptimized code keeps its loop counters.
func (p *Proc) NewTrampoline(want *unix.PtraceRegs, stack []byte, below int) (*Trampoline, error) {
	at := want.Rip
	code := make([]byte, 32)
	for hops := 0; ; hops++ {
		if err := p.ReadMem(at, code); err != nil {
			return nil, err
		}
		inst, err := x86asm.Decode(code, 64)
		if err != nil || inst.Op != x86asm.JMP || inst.PCRel == 0 || hops == 4 {
			break
		}
		rel := int64(int8(code[inst.PCRelOff]))
		if inst.PCRel == 4 {
			rel = int64(int32(binary.LittleEndian.Uint32(code[inst.PCRelOff:])))
		}
		at = at + uint64(inst.Len) + uint64(rel)
	}
	moved := *want
	moved.Rip = at
	want = &moved
	page, err := p.mapNear(at)
	if err != nil {
		return nil, err
	}
	tr := &Trampoline{p: p, page: page, at: at}
	body, err := tr.assemble(want, code, stack, below)
	if err == nil {
		err = p.WriteMem(page, body)
	}
	if err == nil {
		tr.orig = append([]byte(nil), code[:tr.patchLen()]...)
		jmp := make([]byte, len(tr.orig))
		for i := range jmp {
			jmp[i] = 0x90 // nop out the tail of a displaced instruction
		}
		jmp[0] = 0xe9
		binary.LittleEndian.PutUint32(jmp[1:], uint32(int32(int64(page)-int64(at+5))))
		err = p.WriteMem(at, jmp)
	}
	if err != nil {
		p.Inject(unix.SYS_MUNMAP, page, trampSize)
		return nil, err
	}
	return tr, nil
}

func (tr *Trampoline) patchLen() int { return tr.n }

// assemble writes the trampoline's code for the registers want, with the
// instructions of code (read at tr.at) relocated into it.
func (tr *Trampoline) assemble(want *unix.PtraceRegs, code, stack []byte, below int) ([]byte, error) {
	scratch := tr.page + pageSize // saved rax, then saved flags
	var b []byte
	pc := func() uint64 { return tr.page + uint64(len(b)) }
	ripRel := func(op []byte, target uint64) { // op [rip+disp32]
		b = append(b, op...)
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(int64(target)-int64(pc()+4))))
	}
	var toMiss []int
	jne := func() {
		b = append(b, 0x0f, 0x85)
		toMiss = append(toMiss, len(b))
		b = append(b, 0, 0, 0, 0)
	}
	ripRel([]byte{0x48, 0x89, 0x05}, scratch)   // mov [S0], rax
	b = append(b, 0x9f, 0x0f, 0x90, 0xc0)       // lahf; seto al
	ripRel([]byte{0x48, 0x89, 0x05}, scratch+8) // mov [S1], rax
	for _, r := range trampRegs {
		b = append(b, 0x48, 0xb8) // movabs rax, wanted
		b = binary.LittleEndian.AppendUint64(b, r.get(want))
		rex := byte(0x48)
		if r.num >= 8 {
			rex |= 1
		}
		b = append(b, rex, 0x39, 0xc0|byte(r.num&7)) // cmp reg, rax
		jne()
	}
	for off := 0; off+8 <= len(stack); off += 8 {
		b = append(b, 0x48, 0xb8) // movabs rax, wanted word
		b = binary.LittleEndian.AppendUint64(b, binary.LittleEndian.Uint64(stack[off:]))
		b = append(b, 0x48, 0x39, 0x84, 0x24) // cmp [rsp+off-below], rax
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(off-below)))
		jne()
	}
	b = append(b, 0x48, 0xb8)
	b = binary.LittleEndian.AppendUint64(b, want.Rax)
	ripRel([]byte{0x48, 0x3b, 0x05}, scratch) // cmp rax, [S0]
	jne()
	restore := func() {
		ripRel([]byte{0x48, 0x8b, 0x05}, scratch+8) // mov rax, [S1]
		b = append(b, 0x04, 0x7f, 0x9e)             // add al, 0x7f (OF); sahf
		ripRel([]byte{0x48, 0x8b, 0x05}, scratch)   // mov rax, [S0]
	}
	restore()
	tr.match = pc()
	b = append(b, 0xcc)
	for _, off := range toMiss {
		binary.LittleEndian.PutUint32(b[off:], uint32(int32(len(b)-(off+4))))
	}
	restore()
	tr.reloc = pc()
	for tr.n < 5 {
		inst, err := x86asm.Decode(code[tr.n:], 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotPatchable, err)
		}
		if tr.n > 0 {
			// The jump would cover the next instruction too, and another
			// jump may lead into it: the replayed program would crash.
			return nil, fmt.Errorf("%w: the instruction at %#x is shorter than a jump", ErrNotPatchable, tr.at)
		}
		old := tr.at + uint64(tr.n)
		raw := code[tr.n : tr.n+inst.Len]
		if !relocatable(inst) {
			// Calls would leave a trampoline address on the stack; the
			// bytes after a jump may be another jump's target.
			return nil, fmt.Errorf("%w: %v at %#x", ErrNotPatchable, inst.Op, old)
		}
		switch inst.PCRel {
		case 0:
			b = append(b, raw...)
		case 4:
			start := len(b)
			b = append(b, raw...)
			rel := int64(int32(binary.LittleEndian.Uint32(raw[inst.PCRelOff:])))
			rel += int64(old) - int64(tr.page+uint64(start))
			if rel != int64(int32(rel)) {
				return nil, fmt.Errorf("%w: a relative address out of reach", ErrNotPatchable)
			}
			binary.LittleEndian.PutUint32(b[start+inst.PCRelOff:], uint32(int32(rel)))
		case 1:
			if inst.Len != 2 || raw[0]&0xf0 != 0x70 {
				return nil, fmt.Errorf("%w: %v", ErrNotPatchable, inst.Op)
			}
			target := old + 2 + uint64(int64(int8(raw[1])))
			b = append(b, 0x0f, 0x80|raw[0]&0x0f) // jcc rel32
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(int64(target)-int64(pc()+4))))
		default:
			return nil, fmt.Errorf("%w: %v", ErrNotPatchable, inst.Op)
		}
		tr.n += inst.Len
	}
	b = append(b, 0xe9) // jmp back
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(int64(tr.at)+int64(tr.n)-int64(pc()+4))))
	if len(b) > pageSize {
		return nil, errors.New("trampoline too long")
	}
	return b, nil
}

// At is the patched address: where a match stops the thread.
func (tr *Trampoline) At() uint64 { return tr.at }

// Range is the injected mapping, to leave out of memory digests.
func (tr *Trampoline) Range() (start, end uint64) { return tr.page, tr.page + trampSize }

// Matched reports whether the thread stopped (SIGTRAP) at the trampoline's
// match; if so its pc is put back on the patched address, where its state
// is exactly that of the program arriving there.
func (tr *Trampoline) Matched(regs *unix.PtraceRegs) bool {
	if regs.Rip-1 != tr.match {
		return false
	}
	regs.Rip = tr.at
	return true
}

// PassOn makes a thread stopped at a match (pc at the patched address) go
// on through the displaced instructions, as if it had not matched.
func (tr *Trampoline) PassOn(regs *unix.PtraceRegs) { regs.Rip = tr.reloc }

// Remove restores the code and unmaps the trampoline. A thread whose pc is
// inside the trampoline must be moved out first (PassOn, then run it to
// the jump back, or Matched).
func (tr *Trampoline) Remove() error {
	if tr.removed {
		return nil
	}
	tr.removed = true
	err := tr.p.WriteMem(tr.at, tr.orig)
	if _, ierr := tr.p.Inject(unix.SYS_MUNMAP, tr.page, trampSize); err == nil {
		err = ierr
	}
	return err
}

// mapNear maps the trampoline's pages within a rel32 jump of addr.
func (p *Proc) mapNear(addr uint64) (uint64, error) {
	maps, err := ReadMaps(p.Pid)
	if err != nil {
		return 0, err
	}
	const reach = 1 << 30
	const mapFixedNoreplace, mapPrivate, mapAnon = 0x100000, 0x02, 0x20
	try := func(a uint64) bool {
		if a == 0 || a+trampSize < a || diff(a, addr) > reach || diff(a+trampSize, addr) > reach {
			return false
		}
		r, err := p.Inject(unix.SYS_MMAP, a, trampSize, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC,
			mapPrivate|mapAnon|mapFixedNoreplace, ^uint64(0), 0)
		return err == nil && uint64(r) == a
	}
	// Gaps between mappings (and below the first), a little away from
	// both neighbours (a heap or stack may grow into the gap).
	const margin = 256 * pageSize
	prevEnd := uint64(pageSize) << 8
	for _, m := range append(maps, Mapping{Start: 1 << 47}) {
		lo, hi := prevEnd+margin, m.Start
		prevEnd = m.End
		if hi < lo+trampSize+margin {
			continue
		}
		for _, a := range []uint64{hi - margin - trampSize, lo} {
			if try(a) {
				return a, nil
			}
		}
	}
	return 0, fmt.Errorf("no free address within 1 GiB of %#x for a trampoline", addr)
}

func diff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
