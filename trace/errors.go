package trace

import (
	"errors"
	"fmt"
)

// ErrNotTrace means the directory holds no rewind trace.
var ErrNotTrace = errors.New("not a rewind trace")

// FormatError reports damaged or unreadable trace data at a position.
type FormatError struct {
	File string // path of the file in the trace
	Off  int64  // byte offset in that file
	Msg  string
	Err  error // the underlying cause, if any (for errors.Is)
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: offset %d: %s", e.File, e.Off, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// VersionError reports a trace written in a format this rewind cannot read.
type VersionError struct {
	Have, Want int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("trace format version %d is not supported (this rewind reads versions %d to %d)", e.Have, oldestReadable, e.Want)
}
