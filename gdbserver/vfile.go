package gdbserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
)

// errno values of gdb's File-I/O protocol (include/gdb/fileio.h); they
// are not all the Linux ones.
const (
	fioEPERM   = 1
	fioENOENT  = 2
	fioEBADF   = 9
	fioEACCES  = 13
	fioEISDIR  = 21
	fioEINVAL  = 22
	fioEMFILE  = 24
	fioEROFS   = 30
	fioEUNKNOW = 9999
)

// Open flags of the File-I/O protocol.
const (
	fioOWrOnly = 0x1
	fioORdWr   = 0x2
	fioOAppend = 0x8
	fioOCreat  = 0x200
	fioOTrunc  = 0x400
	fioOExcl   = 0x800
)

// maxOpenFiles bounds the files one session may hold open.
const maxOpenFiles = 64

func fioErrno(err error) int {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fioENOENT
	case errors.Is(err, fs.ErrPermission):
		return fioEACCES
	case errors.Is(err, syscall.EISDIR):
		return fioEISDIR
	case errors.Is(err, fs.ErrInvalid):
		return fioEINVAL
	}
	return fioEUNKNOW
}

func (ss *session) fileErr(errno int) error { return ss.reply(fmt.Sprintf("F-1,%x", errno)) }

// vFile handles the host I/O packets gdb and lldb use to read the
// program's files from the target (so they read the recorded binaries).
func (ss *session) vFile(s string) error {
	op, args, _ := strings.Cut(s, ":")
	switch op {
	case "setfs":
		// Files are the replay's whatever the namespace: accept any pid.
		if _, err := strconv.ParseUint(args, 16, 64); err != nil {
			return ss.fileErr(fioEINVAL)
		}
		return ss.reply("F0")
	case "open":
		f := strings.Split(args, ",")
		if len(f) < 2 {
			return ss.fileErr(fioEINVAL)
		}
		path, err := decodeHex(f[0])
		if err != nil {
			return ss.fileErr(fioEINVAL)
		}
		flags, err := strconv.ParseUint(f[1], 16, 32)
		if err != nil {
			return ss.fileErr(fioEINVAL)
		}
		if flags&(fioOWrOnly|fioORdWr|fioOAppend|fioOCreat|fioOTrunc|fioOExcl) != 0 {
			return ss.fileErr(fioEROFS)
		}
		if len(ss.files) >= maxOpenFiles {
			return ss.fileErr(fioEMFILE)
		}
		file, err := ss.t.OpenFile(string(path))
		if err != nil {
			return ss.fileErr(fioErrno(err))
		}
		fd := ss.nextFD
		ss.nextFD++
		ss.files[fd] = file
		return ss.reply(fmt.Sprintf("F%x", fd))
	case "close":
		fd, file, ok := ss.file(args)
		if !ok {
			return ss.fileErr(fioEBADF)
		}
		delete(ss.files, fd)
		if err := file.Close(); err != nil {
			return ss.fileErr(fioErrno(err))
		}
		return ss.reply("F0")
	case "pread":
		f := strings.Split(args, ",")
		if len(f) != 3 {
			return ss.fileErr(fioEINVAL)
		}
		_, file, ok := ss.file(f[0])
		if !ok {
			return ss.fileErr(fioEBADF)
		}
		count, err1 := strconv.ParseUint(f[1], 16, 64)
		off, err2 := strconv.ParseUint(f[2], 16, 63)
		if err1 != nil || err2 != nil {
			return ss.fileErr(fioEINVAL)
		}
		if max := uint64(ss.maxData(24)); count > max {
			count = max
		}
		buf := make([]byte, count)
		n, err := file.ReadAt(buf, int64(off))
		if n == 0 && err != nil && !errors.Is(err, io.EOF) {
			return ss.fileErr(fioErrno(err))
		}
		return ss.c.WriteBinary(append([]byte(fmt.Sprintf("F%x;", n)), buf[:n]...))
	case "fstat":
		_, file, ok := ss.file(args)
		if !ok {
			return ss.fileErr(fioEBADF)
		}
		fi, err := file.Stat()
		if err != nil {
			return ss.fileErr(fioErrno(err))
		}
		st := gdbStat(fi)
		return ss.c.WriteBinary(append([]byte(fmt.Sprintf("F%x;", len(st))), st...))
	case "size", "exists", "mode":
		// lldb's extensions, by path.
		path, err := decodeHex(args)
		if err != nil {
			return ss.fileErr(fioEINVAL)
		}
		file, err := ss.t.OpenFile(string(path))
		if op == "exists" {
			if err != nil {
				return ss.reply("F,0")
			}
			file.Close()
			return ss.reply("F,1")
		}
		if err != nil {
			return ss.fileErr(fioErrno(err))
		}
		defer file.Close()
		fi, err := file.Stat()
		if err != nil {
			return ss.fileErr(fioErrno(err))
		}
		if op == "size" {
			return ss.reply(fmt.Sprintf("F%x", fi.Size()))
		}
		return ss.reply(fmt.Sprintf("F%x", gdbMode(fi)))
	case "pwrite", "unlink", "symlink":
		return ss.fileErr(fioEROFS)
	}
	// readlink, MD5 and the rest: not supported.
	return ss.reply("")
}

func (ss *session) file(arg string) (int, File, bool) {
	fd, err := strconv.ParseUint(arg, 16, 31)
	if err != nil {
		return 0, nil, false
	}
	f, ok := ss.files[int(fd)]
	return int(fd), f, ok
}

// gdbMode is st_mode as gdb's File-I/O protocol numbers it (the POSIX
// values).
func gdbMode(fi fs.FileInfo) uint32 {
	m := uint32(fi.Mode().Perm())
	switch {
	case fi.Mode().IsDir():
		m |= 0o040000
	case fi.Mode().IsRegular():
		m |= 0o100000
	default:
		m |= 0o020000 // character device: anything else
	}
	return m
}

// gdbStat encodes gdb's struct stat of the File-I/O protocol: 64 bytes,
// big-endian; dev ino mode nlink uid gid rdev (4 bytes each), size blksize
// blocks (8 bytes each), atime mtime ctime (4 bytes each).
func gdbStat(fi fs.FileInfo) []byte {
	b := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint32(b[8:], gdbMode(fi))
	be.PutUint32(b[12:], 1)
	be.PutUint64(b[28:], uint64(fi.Size()))
	be.PutUint64(b[36:], 4096)
	be.PutUint64(b[44:], (uint64(fi.Size())+511)/512)
	mt := uint32(fi.ModTime().Unix())
	be.PutUint32(b[52:], mt)
	be.PutUint32(b[56:], mt)
	be.PutUint32(b[60:], mt)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		be.PutUint32(b[0:], uint32(st.Dev))
		be.PutUint32(b[4:], uint32(st.Ino))
		be.PutUint32(b[12:], uint32(st.Nlink))
		be.PutUint32(b[16:], st.Uid)
		be.PutUint32(b[20:], st.Gid)
		be.PutUint32(b[24:], uint32(st.Rdev))
		be.PutUint64(b[36:], uint64(st.Blksize))
		be.PutUint64(b[44:], uint64(st.Blocks))
		be.PutUint32(b[52:], uint32(st.Atim.Sec))
		be.PutUint32(b[60:], uint32(st.Ctim.Sec))
	}
	return b
}
