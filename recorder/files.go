package recorder

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"rewind/preload"
)

// fileStore copies the files a recording maps into the trace's files/,
// once per (device, inode, mtime, size). A file is opened when it is
// mapped and copied by a goroutine meanwhile, off the recording's path
// (the programs of go build map 87 MB of them), unless the program may
// write it through its mapping (shared and writable): then the copy is
// taken at once, as the mapping was, or awaited if under way. wait gives
// the outcome of the copies.
type fileStore struct {
	dir  string
	seen map[preload.FileKey]string
	// known lists the files seen, in order: the syscall buffer's library
	// maps these without a stop (recording.writeKnown).
	known  []preload.KnownFile
	copies chan fileCopy
	done   sync.WaitGroup
	mu     sync.Mutex
	err    error                             // the first failed copy's
	queued map[preload.FileKey]chan struct{} // copies under way, closed when done
}

type fileCopy struct {
	f          *os.File
	orig, name string
	size       int64
	key        preload.FileKey
	done       chan struct{} // closed when copied
}

func newFileStore(dir string) *fileStore {
	return &fileStore{dir: dir, seen: map[preload.FileKey]string{}}
}

// save copies the file open at src (a path, typically /proc/PID/fd/N or
// /proc/PID/map_files/…) whose original name is orig, and returns its name
// under files/ and its size; now if now is set, else in the background.
func (s *fileStore) save(src, orig string, now bool) (name string, size int64, err error) {
	// A stat first: most files were seen before (every process maps libc).
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return "", 0, fmt.Errorf("copy %s into the trace: %w", orig, err)
	}
	if name, ok := s.seen[fileKey(&st)]; ok {
		if now {
			s.await(fileKey(&st))
		}
		return name, st.Size, nil
	}
	f, err := os.Open(src)
	if err != nil {
		return "", 0, fmt.Errorf("copy %s into the trace: %w", orig, err)
	}
	if err := unix.Fstat(int(f.Fd()), &st); err != nil { // of what is copied
		f.Close()
		return "", 0, err
	}
	key := fileKey(&st)
	if name, ok := s.seen[key]; ok {
		f.Close()
		if now {
			s.await(key)
		}
		return name, st.Size, nil
	}
	sum := sha256.Sum256(fmt.Append(nil, key, orig))
	base := filepath.Base(orig)
	if len(base) > 80 { // a buffered mmap's record holds the name (preload.FileMapData)
		base = base[:80]
	}
	name = base + "-" + hex.EncodeToString(sum[:6])
	c := fileCopy{f: f, orig: orig, name: name, size: st.Size, key: key}
	if now {
		if err := s.copy(c); err != nil {
			return "", 0, err
		}
		s.see(key, name, orig)
		return name, st.Size, nil
	}
	s.see(key, name, orig)
	if s.copies == nil {
		s.copies = make(chan fileCopy, 64)
		s.queued = map[preload.FileKey]chan struct{}{}
		s.done.Add(1)
		go s.copier(s.copies) // not the field: wait sets it to nil, maybe before the goroutine runs
	}
	c.done = make(chan struct{})
	s.mu.Lock()
	s.queued[key] = c.done
	s.mu.Unlock()
	s.copies <- c
	return name, st.Size, nil
}

// await waits until the copy of the file of key, if under way, is done:
// a file mapped shared may be written through the mapping right away.
// (Waiting for every copy queued cost up to 30 ms a process in make:
// glibc maps gconv-modules.cache shared while cc1's copy is under way.)
func (s *fileStore) await(key preload.FileKey) {
	s.mu.Lock()
	done := s.queued[key]
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// copier copies the files save opened, one at a time.
func (s *fileStore) copier(copies <-chan fileCopy) {
	defer s.done.Done()
	for c := range copies {
		err := s.copy(c)
		s.mu.Lock()
		s.err = errors.Join(s.err, err)
		delete(s.queued, c.key)
		s.mu.Unlock()
		close(c.done)
	}
}

func (s *fileStore) copy(c fileCopy) error {
	defer c.f.Close()
	tmp := filepath.Join(s.dir, c.name+".tmp")
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755) // executable: replay execs the copy
	if err != nil {
		return fmt.Errorf("copy %s into the trace: %w", c.orig, err)
	}
	n, err := copyFile(out, c.f)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != c.size {
		err = fmt.Errorf("it changed while it was copied (%d bytes when mapped, %d copied)", c.size, n)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("copy %s into the trace: %w", c.orig, err)
	}
	return os.Rename(tmp, filepath.Join(s.dir, c.name))
}

// copyFile copies in to out, in the kernel (sendfile: io.Copy reads and
// writes 32 KiB at a time between file systems, where copy_file_range
// fails), and only its data: holes stay holes (SEEK_DATA), so a file
// allocated and not yet written (the Go linker's output, mapped shared)
// is not copied as zeros.
func copyFile(out, in *os.File) (int64, error) {
	st, err := in.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	ifd, ofd := int(in.Fd()), int(out.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(ifd, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break // a hole to the end
		}
		if err != nil { // no SEEK_DATA here: all of it
			data = off
		}
		end := size
		if err == nil {
			if hole, err := unix.Seek(ifd, data, unix.SEEK_HOLE); err == nil {
				end = min(hole, size)
			}
		}
		if _, err := unix.Seek(ofd, data, io.SeekStart); err != nil {
			return data, err
		}
		for pos := data; pos < end; {
			n, err := unix.Sendfile(ofd, ifd, &pos, int(min(end-pos, 1<<30)))
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return pos, err
			}
			if n == 0 {
				return pos, nil // it shrank: the caller reports it
			}
		}
		off = end
	}
	return size, out.Truncate(size)
}

// wait waits for the copies and returns what went wrong with them.
func (s *fileStore) wait() error {
	if s.copies != nil {
		close(s.copies)
		s.copies = nil
	}
	s.done.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *fileStore) see(key preload.FileKey, name, orig string) {
	s.seen[key] = name
	s.known = append(s.known, preload.KnownFile{Key: key, Patched: preload.IsLibc(orig)})
}

// name returns the name under files/ of the file of key, seen before.
func (s *fileStore) name(key preload.FileKey) (string, bool) {
	name, ok := s.seen[key]
	return name, ok
}

func fileKey(st *unix.Stat_t) preload.FileKey {
	return preload.FileKey{st.Dev, st.Ino, uint64(st.Size), uint64(st.Mtim.Sec), uint64(st.Mtim.Nsec)}
}
