package preload

import (
	"bytes"
	_ "embed"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// The layout of csrc/layout.h (TestLayout checks they agree).
const (
	Region       = 0x6f7e00000000 // the code page, then the buffer slots
	UntracedOff  = 0              // syscall; ret: lets calls through
	TracedOff    = 8              // syscall; ret: stops like any other
	ExecOff      = 16             // syscall; ret: replay runs the calls made there
	TrapOff      = 24             // int3: the end of Start's run
	CallOff      = 40             // int3; ret: Start's run calls rewind there
	Slots        = Region + 0x100000
	SlotSize     = 0x120000
	MaxSlots     = 1024
	RecordsOff   = 0x11000
	KnownOff     = 0x1000 // recording: the files rewind has copied (FileKey), count first
	KnownMax     = 256
	KnownEntry   = 6 * 8    // bytes of an entry (EncodeKnown)
	knownPatched = 1        // a known file's flag: its executable mappings stop
	FileMapData  = 128      // the data of a buffered file mmap: its FileKey, then the copy's name
	SysRegister  = 0x525701 // (slot, size, text start, text end)
	SysDiverged  = 0x525702 // (nr, recorded nr, result, recorded result)
	Abort        = 0x5257   // -Abort: the result of an interrupted untraced call
	MarkerTraced = 0xffffffff
	RecRDTSC     = 0x525710 // a record of an rdtsc of the dynamic linker (patched): its value
	ModeRecord   = 1
	ModeReplay   = 2
	ModeFree     = 3 // the slot's thread ended: a later thread may take it

	// Flags of Start's run of the set-up (in r15), and what it returns.
	startProgram   = 1 // patch every generic syscall site
	startTrapTSC   = 2 // make rdtsc and rdtscp fault
	startTrapCPUID = 4 // make CPUID fault
	startTrapsSet  = 8 // returned: the traps asked for are set
	// startV10: the trace is of format 10 on, whose library buffers
	// failed execve, setresuid/gid, arch_prctl(ARCH_SET_FS) and
	// rt_sigprocmask that only blocks, and patches the dynamic linker's rdtsc and syscalls whose number is set
	// a few instructions before: replay of an older trace must not.
	startV10 = 16

	// RegionEnd bounds the code page and every slot: memory digests leave
	// it out, since the buffers differ between recording and replay.
	RegionEnd = Slots + MaxSlots*SlotSize
	// UntracedIP is the instruction pointer after the untraced syscall;
	// TracedIP after the library's own traced one.
	UntracedIP = Region + UntracedOff + 2
	TracedIP   = Region + TracedOff + 2
	// ExecIP is the instruction pointer after the exec site: replay lets
	// a call stopped there run (the library replays calls whose effect
	// the kernel must have, such as signal actions, by making them).
	ExecIP = Region + ExecOff + 2
)

// Header field offsets in a slot (WantStopOff: rewind sets that word alone).
const (
	hdrMode     = 0
	WantStopOff = 4
	hdrUsed     = 8
	hdrCursor   = 16
	hdrCap      = 24
	HeaderSize  = 32
	RecordSize  = 16 // a record's head: nr, len, ret
	// FileMapsOff: the number of file mmaps among the records (u64),
	// whose data the recorder rewrites (a slot holds tens of thousands
	// of records, which it need not read when there are none).
	FileMapsOff = 32
	FileMapsEnd = FileMapsOff + 8
)

// Header is a slot's header.
type Header struct {
	Mode, WantStop uint32
	Used, Cursor   uint64
	Cap            uint64
}

// Encode returns the header's bytes.
func (h Header) Encode() []byte {
	b := make([]byte, HeaderSize)
	le := binary.LittleEndian
	le.PutUint32(b[hdrMode:], h.Mode)
	le.PutUint32(b[WantStopOff:], h.WantStop)
	le.PutUint64(b[hdrUsed:], h.Used)
	le.PutUint64(b[hdrCursor:], h.Cursor)
	le.PutUint64(b[hdrCap:], h.Cap)
	return b
}

// DecodeHeader reads a header from b (HeaderSize bytes).
func DecodeHeader(b []byte) Header {
	le := binary.LittleEndian
	return Header{Mode: le.Uint32(b[hdrMode:]), WantStop: le.Uint32(b[WantStopOff:]),
		Used: le.Uint64(b[hdrUsed:]), Cursor: le.Uint64(b[hdrCursor:]), Cap: le.Uint64(b[hdrCap:])}
}

// DecodeFileMaps reads the number of file mmaps at FileMapsOff of b
// (FileMapsEnd bytes of a slot).
func DecodeFileMaps(b []byte) uint64 {
	return binary.LittleEndian.Uint64(b[FileMapsOff:])
}

// Executes tells whether replay makes buffered calls numbered nr again
// (csrc/preload.c's executes; TestBufferedCallsAreEmulated checks they
// agree): the replayer lets them run.
func Executes(nr uint32) bool {
	switch nr {
	case unix.SYS_RT_SIGACTION, unix.SYS_MMAP, unix.SYS_MUNMAP, unix.SYS_MPROTECT, unix.SYS_MADVISE, unix.SYS_BRK, unix.SYS_SET_TID_ADDRESS,
		unix.SYS_ARCH_PRCTL, unix.SYS_RT_SIGPROCMASK:
		return true
	}
	return false
}

// InRegion tells whether addr is in the code page or a slot.
func InRegion(addr uint64) bool { return addr >= Region && addr < RegionEnd }

// Record is one buffered call as the library wrote it.
type Record struct {
	Nr   uint32
	Ret  int64
	Data []byte
}

// Records decodes the records in b (a slot's used bytes).
func Records(b []byte) []Record {
	var rs []Record
	EachRecord(b, func(r Record) { rs = append(rs, r) })
	return rs
}

// AnyExecuted tells whether the records in b hold a call replay makes
// again (Executes).
func AnyExecuted(b []byte) bool {
	found := false
	EachRecord(b, func(r Record) { found = found || Executes(r.Nr) })
	return found
}

// EachRecord calls do with each record in b, in order; a record's Data is
// part of b.
func EachRecord(b []byte, do func(Record)) {
	le := binary.LittleEndian
	for len(b) >= RecordSize {
		r := Record{Nr: le.Uint32(b), Ret: int64(le.Uint64(b[8:]))}
		n := uint64(le.Uint32(b[4:]))
		b = b[RecordSize:]
		if n > uint64(len(b)) {
			break
		}
		r.Data = b[:n]
		do(r)
		b = b[min(uint64(len(b)), (n+7)&^7):]
	}
}

// FileKey names a file as the recorder keys its copies: st_dev, st_ino,
// st_size, st_mtime, st_mtime_nsec.
type FileKey [5]uint64

// KnownFile is an entry of the files the recorder lists in a slot: the
// library maps them without a stop, except, for Patched (libc), its code.
type KnownFile struct {
	Key     FileKey
	Patched bool
}

// EncodeKnown returns the entries files, to be written at
// KnownOff+8+KnownEntry*i for the first of them, entry i.
func EncodeKnown(files []KnownFile) []byte {
	b := make([]byte, 0, len(files)*KnownEntry)
	for _, f := range files {
		for _, v := range f.Key {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		flags := uint64(0)
		if f.Patched {
			flags |= knownPatched
		}
		b = binary.LittleEndian.AppendUint64(b, flags)
	}
	return b
}

// IsFileMap tells whether r is an mmap of a file made through the buffer
// (the library buffers only private file mappings).
func IsFileMap(r Record) bool { return r.Nr == unix.SYS_MMAP && len(r.Data) == FileMapData }

// FileMapKey returns the key of a buffered file mmap's file, as the
// library wrote it in the recording.
func FileMapKey(r Record) FileKey {
	var k FileKey
	for i := range k {
		k[i] = binary.LittleEndian.Uint64(r.Data[8*i:])
	}
	return k
}

// SetFileMapName puts name, the trace's copy of a buffered file mmap's
// file, in place of its key (in the trace; replay reads it at the exec
// site). It reports whether the name fits.
func SetFileMapName(r Record, name string) bool {
	if len(name) >= FileMapData {
		return false
	}
	clear(r.Data)
	copy(r.Data, name)
	return true
}

// FileMapName returns the name SetFileMapName put in data.
func FileMapName(data []byte) string {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		data = data[:i]
	}
	return string(data)
}
