package recorder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fileStore copies the files a recording maps into the trace's files/,
// once per (device, inode, mtime, size).
type fileStore struct {
	dir  string
	seen map[string]string
}

func newFileStore(dir string) *fileStore {
	return &fileStore{dir: dir, seen: map[string]string{}}
}

// save copies the file open at src (a path, typically /proc/PID/fd/N or
// /proc/PID/map_files/…) whose original name is orig, and returns its name
// under files/ and its size.
func (s *fileStore) save(src, orig string) (name string, size int64, err error) {
	// A stat first: most files were seen before (every process maps libc).
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return "", 0, fmt.Errorf("copy %s into the trace: %w", orig, err)
	}
	key := fileKey(&st)
	if name, ok := s.seen[key]; ok {
		return name, st.Size, nil
	}
	f, err := os.Open(src)
	if err != nil {
		return "", 0, fmt.Errorf("copy %s into the trace: %w", orig, err)
	}
	defer f.Close()
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return "", 0, err
	}
	key = fileKey(&st) // of what is copied
	sum := sha256.Sum256([]byte(key + orig))
	name = filepath.Base(orig) + "-" + hex.EncodeToString(sum[:6])
	tmp := filepath.Join(s.dir, name+".tmp")
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755) // executable: replay execs the copy
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(out, f)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", 0, fmt.Errorf("copy %s into the trace: %w", orig, err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		return "", 0, err
	}
	s.seen[key] = name
	return name, n, nil
}

func fileKey(st *unix.Stat_t) string {
	return fmt.Sprintf("%d:%d:%d.%d:%d", st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec, st.Size)
}
