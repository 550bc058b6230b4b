package trace

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FormatVersion is the version of the trace format this package writes.
// Version 5 marks execs where the syscall buffer's static variant was set
// up (FlagPreloaded): a replayer that ignored it would diverge there.
// Version 6 digests memory with two CRC-32s instead of SHA-256.
// Version 7 marks the mmaps of libc's code that the syscall buffer
// patched (FlagPatched), which replaced loading librewind_preload with
// LD_PRELOAD. Version 8 names the CPU of each exec (Frame.CPU): the
// processes of a recording run side by side, each pinned to one.
// Version 9 lets private file mappings, rseq and set_tid_address go
// through the syscall buffer: a buffered mmap's record names the copy of
// its file. Version 10 compresses a chunk with S2 instead of zstd when
// the recorder is behind (its own chunk magic).
const FormatVersion = 10

// oldestReadable is the oldest format version this package still reads:
// version 3 lacks only the enter frame's memory writes, version 4
// FlagPreloaded, and up to 5 digests are SHA-256 (replay computes its
// digests as the trace's version says).
const oldestReadable = 3

// File names inside a trace directory.
const (
	HeaderFile     = "header.json"
	EventsFile     = "events"
	FilesDir       = "files"
	IncompleteFile = "incomplete"
)

// Header describes a recording. It is written when recording starts.
type Header struct {
	FormatVersion int       `json:"format_version"`
	RewindVersion string    `json:"rewind_version"`
	Mode          string    `json:"mode"` // "soft" (no PMU) or "ticks"
	Created       time.Time `json:"created"`
	Kernel        string    `json:"kernel"`
	CPU           CPU       `json:"cpu"`
	// CPUIDTrapped is true when CPUID faulting was on during recording, so
	// every CPUID result is in the frames; else replay relies on the CPU
	// being the same and warns when it is not.
	CPUIDTrapped bool `json:"cpuid_trapped"`
	// PinnedCPU is the CPU the program ran on; replay pins it to the
	// same one, as CPUID answers differ between cores.
	PinnedCPU int `json:"pinned_cpu"`
	// SyscallBuffer is true when the program ran with the syscall buffer
	// (package preload): up to version 6 its library was in LD_PRELOAD,
	// since version 7 rewind loads it at every exec.
	SyscallBuffer bool     `json:"syscall_buffer,omitempty"`
	Exe           string   `json:"exe"` // absolute path of the program as recorded
	Args          []string `json:"args"`
	Env           []string `json:"env"`
	Cwd           string   `json:"cwd"`
}

// CPU identifies the processor a trace was recorded on.
type CPU struct {
	Vendor   string      `json:"vendor"`
	Brand    string      `json:"brand"`
	Family   uint32      `json:"family"`
	Model    uint32      `json:"model"`
	Stepping uint32      `json:"stepping"`
	Leaves   []CPUIDLeaf `json:"leaves"`
}

// CPUIDLeaf is the result of one CPUID query.
type CPUIDLeaf struct {
	Leaf, Subleaf      uint32
	EAX, EBX, ECX, EDX uint32
}

const maxHeaderSize = 16 << 20

// ReadHeader reads and checks the header of the trace in dir.
func ReadHeader(dir string) (*Header, error) {
	path := filepath.Join(dir, HeaderFile)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(dir); derr != nil {
			return nil, derr
		}
		if Incomplete(dir) {
			return nil, fmt.Errorf("%s: %w: %s is missing (the recorder stopped before writing it)", dir, ErrNotTrace, HeaderFile)
		}
		return nil, fmt.Errorf("%s: %w (no %s)", dir, ErrNotTrace, HeaderFile)
	}
	if err != nil {
		return nil, err
	}
	if st.Size() > maxHeaderSize {
		return nil, &FormatError{File: path, Msg: fmt.Sprintf("header is %d bytes, more than the %d allowed", st.Size(), maxHeaderSize)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var h Header
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, &FormatError{File: path, Off: jsonOffset(err), Msg: "invalid header: " + err.Error(), Err: err}
	}
	if h.FormatVersion < oldestReadable || h.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%s: %w", path, &VersionError{Have: h.FormatVersion, Want: FormatVersion})
	}
	return &h, nil
}

// jsonOffset is where in the input a JSON error was found, if it says.
func jsonOffset(err error) int64 {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return se.Offset
	case errors.As(err, &te):
		return te.Offset
	}
	return 0
}

// WriteHeader writes h into dir. It writes a temporary file and renames
// it, so a recorder killed meanwhile never leaves half a header.
func WriteHeader(dir string, h *Header) error {
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, HeaderFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// Incomplete reports whether the trace in dir was not finalized.
func Incomplete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, IncompleteFile))
	return err == nil
}
