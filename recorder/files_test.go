package recorder

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestFileStoreWaitRightAfterSave waits for a background copy at once:
// the copier goroutine may not have started yet (one P makes sure of it),
// and it must still find its queue. It took the queue from the field,
// which wait had set to nil: the recording hung at its end, now and then.
func TestFileStoreWaitRightAfterSave(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	src := filepath.Join(t.TempDir(), "lib.so")
	if err := os.WriteFile(src, []byte("contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := newFileStore(dir)
	name, _, err := s.save(src, src, false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wait hung: the copier never ran its queue")
	}
	if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != "contents" {
		t.Errorf("the copy holds %q (%v), want the file's contents", got, err)
	}
}

// TestFileStoreSharedWaitsForItsCopy maps a file in the background, then
// shared: the shared save returns once that file's copy is complete (the
// program may write the file through its mapping next).
func TestFileStoreSharedWaitsForItsCopy(t *testing.T) {
	src := filepath.Join(t.TempDir(), "data")
	contents := make([]byte, 8<<20)
	for i := range contents {
		contents[i] = byte(i * 7)
	}
	if err := os.WriteFile(src, contents, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := newFileStore(dir)
	defer s.wait()
	name, _, err := s.save(src, src, false)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := s.save(src, src, true)
	if err != nil || again != name {
		t.Fatalf("shared save: %q, %v; want %q", again, err, name)
	}
	if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || len(got) != len(contents) {
		t.Errorf("the copy has %d bytes (%v) when the shared save returned, want %d", len(got), err, len(contents))
	}
}
