package trace

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Report is what Check found in a trace.
type Report struct {
	Dir    string
	Header *Header // nil if it could not be read
	Frames int64   // frames that decoded
	Chunks int     // chunks whose checksum was verified
	// Incomplete: the recorder did not finish (the marker is present).
	Incomplete bool
	// Torn describes the partial chunk or frame an incomplete trace ends
	// with, lost when the recorder died; nil if it ends cleanly.
	Torn error
	// Exit is the final frame when it is the program's exit.
	Exit *Frame
	// Files counts the distinct copies in files/ the frames refer to.
	Files int
	// Notes are harmless oddities (leftovers of a recorder that died).
	Notes []string
}

// Check verifies the trace in dir without replaying it: the header and
// its version, the checksum of every chunk, that every frame decodes,
// that the frames come in a sane order (exec first, exit last unless the
// trace is marked incomplete) and that every file they refer to is in
// files/ with its recorded size. It returns what it found, and the first
// problem (all of them for missing or changed files) as errors that name
// the file and offset.
func Check(dir string) (*Report, error) {
	rep := &Report{Dir: dir, Incomplete: Incomplete(dir)}
	r, err := Open(dir)
	if err != nil {
		return rep, err
	}
	defer r.Close()
	rep.Header = r.Header
	if err := checkHeader(r.Header, filepath.Join(dir, HeaderFile)); err != nil {
		return rep, err
	}
	refs, err := checkFrames(r, rep)
	if err != nil {
		return rep, err
	}
	rep.Files = len(refs)
	if err := checkFiles(dir, refs); err != nil {
		return rep, err
	}
	rep.Notes = append(rep.Notes, leftovers(dir, refs)...)
	return rep, nil
}

// checkHeader checks what ReadHeader leaves to its readers.
func checkHeader(h *Header, path string) error {
	bad := func(msg string, args ...any) error {
		return &FormatError{File: path, Msg: fmt.Sprintf(msg, args...)}
	}
	switch {
	case h.Mode != "soft" && h.Mode != "ticks":
		return bad("unknown mode %q (want soft or ticks)", h.Mode)
	case h.Exe == "":
		return bad("no exe: the recorded program is not named")
	case len(h.Args) == 0:
		return bad("no args: the recorded command line is empty")
	}
	return nil
}

// fileRef is a copy in files/ that a frame refers to.
type fileRef struct {
	name  string // under files/
	path  string // the original path
	size  int64  // recorded size; -1 when the frame does not say
	frame int64  // the first frame referring to it
	off   int64  // offset of that frame's chunk in the events file
}

// checkFrames reads every frame (verifying every chunk on the way),
// checks their order and collects the files they refer to.
func checkFrames(r *Reader, rep *Report) (map[string]fileRef, error) {
	refs := map[string]fileRef{}
	o := orderCheck{restart: map[int32]bool{}}
	var last *Frame
	for {
		n, off := r.Next, r.FrameOffset()
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			rep.Chunks = r.Chunks()
			return nil, err
		}
		rep.Frames++
		bad := func(err error) error {
			return &FormatError{File: r.EventsFile(), Off: off, Msg: fmt.Sprintf("frame %d (%v): %v", n, f.Kind, err), Err: err}
		}
		if err := o.frame(n, f); err != nil {
			return nil, bad(err)
		}
		for _, ref := range frameFiles(f) {
			if err := addRef(refs, ref, n, off); err != nil {
				return nil, bad(err)
			}
		}
		last = f
	}
	rep.Chunks, rep.Torn = r.Chunks(), r.Torn()
	if last != nil && programExit(last) {
		rep.Exit = last
	}
	if err := o.end(rep.Incomplete, last); err != nil {
		return nil, &FormatError{File: r.EventsFile(), Off: r.FrameOffset(), Msg: err.Error()}
	}
	return refs, nil
}

// programExit says whether f ends the program (not just one thread).
func programExit(f *Frame) bool { return f.Kind == KindExit && f.Flags&FlagThread == 0 }

// orderCheck follows the frames for what must come in order.
type orderCheck struct {
	// restart: the thread's last frame was a syscall skipped for a
	// signal, so a signal (or its end) must come next.
	restart map[int32]bool
}

func (o *orderCheck) frame(n int64, f *Frame) error {
	if n == 0 && f.Kind != KindExec {
		return errors.New("the first frame must be the program's exec")
	}
	if n == 0 && f.ExeFile == "" {
		return errors.New("the exec frame names no copy of the executable")
	}
	// Every bit of Flags has a meaning: each must be on its kind of frame.
	if f.Kind != KindSyscall && f.Flags&(FlagRestart|FlagDisabled|FlagStdout|FlagStderr) != 0 ||
		f.Kind != KindSignal && f.Flags&FlagSyncSignal != 0 ||
		f.Kind != KindExit && f.Flags&FlagThread != 0 ||
		f.Kind != KindExec && f.Flags&FlagPreloaded != 0 ||
		(f.Kind != KindSyscall || f.Nr != unix.SYS_MMAP || f.Map == nil) && f.Flags&FlagPatched != 0 {
		return fmt.Errorf("flags %#x do not apply to a %v frame", uint8(f.Flags), f.Kind)
	}
	if o.restart[f.Tid] && f.Kind != KindSignal && f.Kind != KindExit {
		return errors.New("a syscall deferred for a signal is not followed by the signal")
	}
	o.restart[f.Tid] = f.Kind == KindSyscall && f.Flags&FlagRestart != 0
	if f.Kind == KindSignal && (f.Signo < 1 || f.Signo > 64) {
		return fmt.Errorf("signal number %d out of range", f.Signo)
	}
	return nil
}

func (o *orderCheck) end(incomplete bool, last *Frame) error {
	switch {
	case last == nil && incomplete:
		return nil // the recorder stopped before the program started
	case last == nil:
		return errors.New("no frames")
	case !incomplete && !programExit(last):
		return fmt.Errorf("the trace ends with a %v frame, not the program's exit, yet is not marked %s", last.Kind, IncompleteFile)
	}
	return nil
}

// frameFiles lists the copies a frame refers to.
func frameFiles(f *Frame) []fileRef {
	var refs []fileRef
	switch f.Kind {
	case KindExec:
		refs = append(refs, fileRef{name: f.ExeFile, path: f.Exe, size: -1})
		for _, m := range f.Files {
			refs = append(refs, fileRef{name: m.File, path: m.Path, size: -1})
		}
	case KindSyscall:
		if f.Map != nil {
			// Clamped so a damaged size stays positive and is refused.
			size := int64(min(f.Map.Size, 1<<62+1))
			refs = append(refs, fileRef{name: f.Map.File, path: f.Map.Path, size: size})
		}
	}
	return refs
}

// addRef records ref, first seen at frame n; a name must stay inside
// files/ and keep one size.
func addRef(refs map[string]fileRef, ref fileRef, n, off int64) error {
	if ref.name == "" || ref.name != filepath.Base(ref.name) || ref.name == "." || ref.name == ".." {
		return fmt.Errorf("the copy of %s is named %q, which is not a file in %s/", ref.path, ref.name, FilesDir)
	}
	if ref.size > 1<<62 {
		return fmt.Errorf("%s: recorded size %d out of range", ref.path, ref.size)
	}
	old, ok := refs[ref.name]
	switch {
	case !ok:
		ref.frame, ref.off = n, off
		refs[ref.name] = ref
	case old.size < 0: // known from here on
		old.size = ref.size
		refs[ref.name] = old
	case ref.size >= 0 && ref.size != old.size:
		return fmt.Errorf("the copy %s of %s is recorded with size %d here and %d at frame %d", ref.name, ref.path, ref.size, old.size, old.frame)
	}
	return nil
}

// checkFiles checks that every referenced copy is a file in files/ of
// the recorded size (when a frame records it; else not empty).
func checkFiles(dir string, refs map[string]fileRef) error {
	events := filepath.Join(dir, EventsFile)
	var errs []error
	for _, name := range sortedNames(refs) {
		ref := refs[name]
		copyPath := filepath.Join(dir, FilesDir, name)
		problem := fileProblem(copyPath, ref.size)
		if problem == "" {
			continue
		}
		errs = append(errs, &FormatError{File: events, Off: ref.off,
			Msg: fmt.Sprintf("frame %d refers to %s, whose copy %s %s", ref.frame, ref.path, copyPath, problem)})
	}
	return errors.Join(errs...)
}

// fileProblem says what is wrong with a copy, "" if nothing.
func fileProblem(path string, size int64) string {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "is missing"
	case err != nil:
		return "cannot be read: " + err.Error()
	case !st.Mode().IsRegular():
		return "is not a regular file"
	case size >= 0 && st.Size() != size:
		return fmt.Sprintf("has %d bytes, the recording says %d", st.Size(), size)
	case size < 0 && st.Size() == 0:
		return "is empty"
	}
	return ""
}

func sortedNames(refs map[string]fileRef) []string {
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// leftovers notes files no frame refers to: partial copies of a
// recorder that died, or copies for frames it did not get to write.
func leftovers(dir string, refs map[string]fileRef) []string {
	var notes []string
	if _, err := os.Stat(filepath.Join(dir, HeaderFile+".tmp")); err == nil {
		notes = append(notes, HeaderFile+".tmp: a partial header left by a recorder that died (ignored)")
	}
	ents, err := os.ReadDir(filepath.Join(dir, FilesDir))
	if err != nil {
		return append(notes, fmt.Sprintf("%s/: %v", FilesDir, err))
	}
	unused := 0
	for _, e := range ents {
		switch {
		case strings.HasSuffix(e.Name(), ".tmp"):
			notes = append(notes, fmt.Sprintf("%s/%s: a partial copy left by a recorder that died (ignored)", FilesDir, e.Name()))
		case refs[e.Name()].name == "":
			unused++
		}
	}
	if unused > 0 {
		notes = append(notes, fmt.Sprintf("%s/: %d copies no frame refers to (ignored)", FilesDir, unused))
	}
	return notes
}
