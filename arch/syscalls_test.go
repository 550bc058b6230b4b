package arch

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const unistdHeader = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"

func TestSyscallTableMatchesHeader(t *testing.T) {
	f, err := os.Open(unistdHeader)
	if err != nil {
		t.Skipf("cannot compare with the kernel header: %v", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^#define __NR_(\w+)\s+(\d+)`)
	defined := map[uint64]string{}
	top := uint64(0)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		nr, _ := strconv.ParseUint(m[2], 10, 64)
		defined[nr] = m[1]
		top = max(top, nr)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(defined) < 300 {
		t.Fatalf("parsed only %d syscalls from %s", len(defined), unistdHeader)
	}
	for nr := uint64(0); nr <= top; nr++ {
		name, ok := defined[nr]
		s := LookupSyscall(nr)
		switch {
		case !ok && s != nil:
			t.Errorf("%d: have %q want no entry (not in the header)", nr, s.Name)
		case !ok:
		case s == nil:
			t.Errorf("%d: have no entry want %q", nr, name)
		case s.Name != name || s.Nr != nr:
			t.Errorf("%d: have %d %q want %q", nr, s.Nr, s.Name, name)
		default:
			if n, ok := SyscallNumber(name); !ok || n != nr {
				t.Errorf("SyscallNumber(%q): have %d, %v want %d", name, n, ok, nr)
			}
		}
	}
}

func TestSyscallTableConsistent(t *testing.T) {
	names := map[string]bool{}
	last := int64(-1)
	for i := range syscallTable {
		s := &syscallTable[i]
		if int64(s.Nr) <= last {
			t.Errorf("%s: number %d out of order", s.Name, s.Nr)
		}
		last = int64(s.Nr)
		if names[s.Name] {
			t.Errorf("%s: duplicate name", s.Name)
		}
		names[s.Name] = true
		if have := LookupSyscall(s.Nr); have != s {
			t.Errorf("LookupSyscall(%d): have %v want %s", s.Nr, have, s.Name)
		}
		if s.Policy > Unsupported {
			t.Errorf("%s: have policy %v", s.Name, s.Policy)
		}
	}
	for _, tc := range []struct {
		nr   uint64
		want string
	}{
		{0, "read"}, {231, "exit_group"}, {335, "syscall_335"}, {1234, "syscall_1234"}, {1 << 63, "syscall_9223372036854775808"},
	} {
		if have := SyscallName(tc.nr); have != tc.want {
			t.Errorf("SyscallName(%d): have %q want %q", tc.nr, have, tc.want)
		}
	}
	if LookupSyscall(1<<40) != nil {
		t.Errorf("LookupSyscall(1<<40): have an entry want nil")
	}
	if n, ok := SyscallNumber("no_such_call"); ok {
		t.Errorf("SyscallNumber(no_such_call): have %d, true want false", n)
	}
}

func TestSysConstants(t *testing.T) {
	for _, tc := range []struct {
		nr   uint64
		name string
	}{
		{SysRead, "read"}, {SysWrite, "write"}, {SysOpenat, "openat"}, {SysClose, "close"},
		{SysMmap, "mmap"}, {SysMunmap, "munmap"}, {SysMprotect, "mprotect"}, {SysMremap, "mremap"},
		{SysBrk, "brk"}, {SysMadvise, "madvise"}, {SysRtSigaction, "rt_sigaction"},
		{SysRtSigprocmask, "rt_sigprocmask"}, {SysRtSigreturn, "rt_sigreturn"},
		{SysSigaltstack, "sigaltstack"}, {SysExecve, "execve"}, {SysExecveat, "execveat"},
		{SysExit, "exit"}, {SysExitGroup, "exit_group"}, {SysArchPrctl, "arch_prctl"},
		{SysGetpid, "getpid"}, {SysGettid, "gettid"}, {SysKill, "kill"}, {SysTgkill, "tgkill"},
		{SysTkill, "tkill"}, {SysRseq, "rseq"}, {SysWritev, "writev"}, {SysPwrite64, "pwrite64"},
		{SysClone, "clone"}, {SysClone3, "clone3"}, {SysFork, "fork"}, {SysVfork, "vfork"},
		{SysPrctl, "prctl"}, {SysGetrandom, "getrandom"}, {SysSetTidAddress, "set_tid_address"},
		{SysPersonality, "personality"}, {SysIoUringSetup, "io_uring_setup"}, {SysPtrace, "ptrace"},
		{SysSeccomp, "seccomp"}, {SysShmat, "shmat"}, {SysShmdt, "shmdt"},
		{SysRestartSyscall, "restart_syscall"},
	} {
		if have := SyscallName(tc.nr); have != tc.name {
			t.Errorf("constant %d: have %q want %q", tc.nr, have, tc.name)
		}
	}
}

func TestSyscallPolicies(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Policy
	}{
		{"read", Emulate}, {"write", Emulate}, {"openat", Emulate}, {"futex", Emulate},
		{"kill", Emulate}, {"tgkill", Emulate}, {"prctl", Emulate}, {"set_tid_address", Execute},
		{"rt_sigsuspend", Emulate}, {"personality", Emulate}, {"mlock", Emulate},
		{"mmap", Execute}, {"munmap", Execute}, {"mprotect", Execute}, {"mremap", Execute},
		{"brk", Execute}, {"madvise", Execute}, {"shmat", Execute}, {"shmdt", Execute},
		{"rt_sigaction", Execute}, {"rt_sigprocmask", Execute}, {"rt_sigreturn", Execute},
		{"sigaltstack", Execute}, {"arch_prctl", Execute}, {"execve", Execute},
		{"execveat", Execute}, {"exit", Execute}, {"exit_group", Execute}, {"clone", Execute},
		{"clone3", Execute}, {"fork", Execute}, {"vfork", Execute}, {"pkey_mprotect", Execute},
		{"rseq", Disable},
		{"io_uring_setup", Unsupported}, {"io_uring_enter", Unsupported},
		{"io_uring_register", Unsupported}, {"ptrace", Unsupported}, {"seccomp", Emulate},
		{"userfaultfd", Unsupported}, {"perf_event_open", Unsupported}, {"bpf", Unsupported},
		{"process_vm_writev", Unsupported}, {"modify_ldt", Unsupported},
		{"set_thread_area", Unsupported}, {"iopl", Unsupported}, {"init_module", Unsupported},
	} {
		nr, ok := SyscallNumber(tc.name)
		if !ok {
			t.Errorf("%s: no entry", tc.name)
			continue
		}
		if have := LookupSyscall(nr).Policy; have != tc.want {
			t.Errorf("%s: have %v want %v", tc.name, have, tc.want)
		}
	}
}

// fakeMem is tracee memory made of the bytes a test put there.
type fakeMem map[uint64]byte

func (m fakeMem) ReadMem(addr uint64, buf []byte) error {
	for i := range buf {
		b, ok := m[addr+uint64(i)]
		if !ok {
			return fmt.Errorf("address %#x not mapped", addr+uint64(i))
		}
		buf[i] = b
	}
	return nil
}

func (m fakeMem) put(addr uint64, b []byte) fakeMem {
	for i, x := range b {
		m[addr+uint64(i)] = x
	}
	return m
}

func (m fakeMem) u32(addr uint64, v uint32) fakeMem {
	return m.put(addr, binary.LittleEndian.AppendUint32(nil, v))
}

func (m fakeMem) u64(addr uint64, vs ...uint64) fakeMem {
	for i, v := range vs {
		m.put(addr+uint64(i)*8, binary.LittleEndian.AppendUint64(nil, v))
	}
	return m
}

func (m fakeMem) zero(addr, n uint64) fakeMem {
	return m.put(addr, make([]byte, n))
}

func errno(e int64) int64 { return -e }

func TestSyscallWrites(t *testing.T) {
	// readv: three iovecs, the middle one empty.
	readvMem := fakeMem{}.u64(0x1000, 0x2000, 4, 0x3000, 0, 0x4000, 10)

	// recvmsg: msghdr at 0x1000 as the kernel left it.
	msg := func(m fakeMem, at, name uint64, namelen uint32, iov, iovlen, control, controllen uint64) fakeMem {
		m.u64(at, name).u32(at+8, namelen).u32(at+12, 0)
		return m.u64(at+16, iov, iovlen, control, controllen).u32(at+48, 0).u32(at+52, 0)
	}
	recvmsgMem := msg(fakeMem{}, 0x1000, 0x5000, 16, 0x2000, 2, 0x6000, 24).u64(0x2000, 0x3000, 8, 0x4000, 100)
	recvmsgNoName := msg(fakeMem{}, 0x1000, 0, 0, 0x2000, 1, 0, 0).u64(0x2000, 0x3000, 64)

	// recvmmsg: two mmsghdr at 0x1000 and 0x1040 with msg_len 5 and 7.
	recvmmsgMem := msg(fakeMem{}, 0x1000, 0, 0, 0x2000, 1, 0, 0).u32(0x1038, 5)
	msg(recvmmsgMem, 0x1040, 0, 0, 0x2010, 1, 0, 0).u32(0x1078, 7)
	recvmmsgMem.u64(0x2000, 0x3000, 100, 0x4000, 100)

	const sigchld = 17
	waitidMem := fakeMem{}.zero(0x1000, 128).u32(0x1000, sigchld).zero(0x2000, 144)
	waitidNohang := fakeMem{}.zero(0x1000, 128).zero(0x2000, 144)

	tests := []struct {
		name    string
		args    [6]uint64
		result  int64
		mem     fakeMem
		want    []Range
		wantErr string
	}{
		{name: "read", args: [6]uint64{3, 0x1000, 100}, result: 10, want: []Range{{0x1000, 10}}},
		{name: "read", args: [6]uint64{3, 0x1000, 100}, result: 0},
		{name: "read", args: [6]uint64{3, 0x1000, 100}, result: errno(errEINTR)},
		{name: "pread64", args: [6]uint64{3, 0x1000, 100, 7}, result: 100, want: []Range{{0x1000, 100}}},
		{name: "write", args: [6]uint64{1, 0x1000, 100}, result: 100},
		{name: "readv", args: [6]uint64{3, 0x1000, 3}, result: 9, mem: readvMem,
			want: []Range{{0x2000, 4}, {0x4000, 5}}},
		{name: "readv", args: [6]uint64{3, 0x1000, 3}, result: 14, mem: readvMem,
			want: []Range{{0x2000, 4}, {0x4000, 10}}},
		{name: "readv", args: [6]uint64{3, 0x1000, 3}, result: errno(errEFAULT), mem: readvMem},
		{name: "readv", args: [6]uint64{3, 0x1000, 3}, result: 5, mem: fakeMem{}, wantErr: "not mapped"},
		{name: "preadv2", args: [6]uint64{3, 0x1000, 3, 0, 0, 0}, result: 2, mem: readvMem,
			want: []Range{{0x2000, 2}}},
		{name: "recvmsg", args: [6]uint64{3, 0x1000, 0}, result: 20, mem: recvmsgMem,
			want: []Range{{0x5000, 16}, {0x1008, 4}, {0x3000, 8}, {0x4000, 12}, {0x6000, 24}, {0x1028, 8}, {0x1030, 4}}},
		{name: "recvmsg", args: [6]uint64{3, 0x1000, 0}, result: 3, mem: recvmsgNoName,
			want: []Range{{0x3000, 3}, {0x1028, 8}, {0x1030, 4}}},
		{name: "recvmsg", args: [6]uint64{3, 0x1000, 0}, result: errno(errEBADF), mem: recvmsgMem},
		{name: "recvmmsg", args: [6]uint64{3, 0x1000, 4, 0, 0x7000}, result: 2, mem: recvmmsgMem,
			want: []Range{{0x3000, 5}, {0x1028, 8}, {0x1030, 4}, {0x1038, 4},
				{0x4000, 7}, {0x1068, 8}, {0x1070, 4}, {0x1078, 4}, {0x7000, 16}}},
		{name: "sendmmsg", args: [6]uint64{3, 0x1000, 4}, result: 2, want: []Range{{0x1038, 4}, {0x1078, 4}}},
		{name: "recvfrom", args: [6]uint64{3, 0x1000, 64, 0x20, 0x2000, 0x3000}, result: 100,
			mem: fakeMem{}.u32(0x3000, 16), want: []Range{{0x1000, 64}, {0x2000, 16}, {0x3000, 4}}},
		{name: "recvfrom", args: [6]uint64{3, 0x1000, 64}, result: 5, want: []Range{{0x1000, 5}}},
		{name: "accept4", args: [6]uint64{3, 0x2000, 0x3000, 0}, result: 4,
			mem: fakeMem{}.u32(0x3000, 110), want: []Range{{0x2000, 110}, {0x3000, 4}}},
		{name: "accept", args: [6]uint64{3, 0, 0}, result: 4},
		{name: "poll", args: [6]uint64{0x1000, 3, 100}, result: 1, want: []Range{{0x1000, 24}}},
		{name: "poll", args: [6]uint64{0x1000, 3, 100}, result: errno(errERESTARTRESTARTBLOCK), want: []Range{{0x1000, 24}}},
		{name: "poll", args: [6]uint64{0x1000, 3, 100}, result: errno(errEFAULT)},
		{name: "ppoll", args: [6]uint64{0x1000, 2, 0x2000, 0, 8}, result: 0, want: []Range{{0x1000, 16}, {0x2000, 16}}},
		{name: "select", args: [6]uint64{65, 0x1000, 0, 0x3000, 0x4000}, result: 1,
			want: []Range{{0x1000, 16}, {0x3000, 16}, {0x4000, 16}}},
		{name: "select", args: [6]uint64{1, 0x1000, 0x2000, 0, 0}, result: 0,
			want: []Range{{0x1000, 8}, {0x2000, 8}}},
		{name: "select", args: [6]uint64{65, 0x1000, 0, 0x3000, 0x4000}, result: errno(errEINTR),
			want: []Range{{0x4000, 16}}},
		{name: "select", args: [6]uint64{65, 0x1000, 0, 0x3000, 0x4000}, result: errno(errEFAULT), mem: fakeMem{}},
		{name: "pselect6", args: [6]uint64{3, 0x1000, 0, 0, 0x4000, 0x5000}, result: 1,
			want: []Range{{0x1000, 8}, {0x4000, 16}}},
		{name: "ioctl", args: [6]uint64{0, 0x5401, 0x1000}, result: 0, want: []Range{{0x1000, 36}}},
		{name: "ioctl", args: [6]uint64{0, 0x5401, 0x1000}, result: errno(errENOTTY)},
		{name: "ioctl", args: [6]uint64{1, 0x5413, 0x1000}, result: 0, want: []Range{{0x1000, 8}}},
		{name: "ioctl", args: [6]uint64{1, 0x541b, 0x1000}, result: 0, want: []Range{{0x1000, 4}}},
		{name: "ioctl", args: [6]uint64{1, 0x5451, 0}, result: 0},
		{name: "ioctl", args: [6]uint64{1, 0x5402, 0x1000}, result: 0},
		{name: "ioctl", args: [6]uint64{1, 0x80081272, 0x1000}, result: 0, want: []Range{{0x1000, 8}}},
		{name: "ioctl", args: [6]uint64{1, 0xdead, 0x1000}, result: 0, wantErr: "unsupported ioctl request 0xdead"},
		{name: "ioctl", args: [6]uint64{1, 0xc0106400, 0x1000}, result: errno(errEFAULT), wantErr: "0xc0106400"},
		{name: "ioctl", args: [6]uint64{1, 0xdead, 0x1000}, result: errno(errENOTTY)},
		{name: "rt_sigaction", args: [6]uint64{2, 0x1000, 0, 8}, result: 0},
		{name: "rt_sigaction", args: [6]uint64{2, 0x1000, 0x2000, 8}, result: 0, want: []Range{{0x2000, 32}}},
		{name: "rt_sigaction", args: [6]uint64{2, 0x1000, 0x2000, 8}, result: errno(errEINVAL)},
		{name: "rt_sigprocmask", args: [6]uint64{0, 0x1000, 0x2000, 8}, result: 0, want: []Range{{0x2000, 8}}},
		{name: "sigaltstack", args: [6]uint64{0, 0x2000}, result: 0, want: []Range{{0x2000, 24}}},
		{name: "wait4", args: [6]uint64{^uint64(0), 0x1000, 0, 0x2000}, result: 42,
			want: []Range{{0x1000, 4}, {0x2000, 144}}},
		{name: "wait4", args: [6]uint64{^uint64(0), 0x1000, 1, 0}, result: 42, want: []Range{{0x1000, 4}}},
		{name: "wait4", args: [6]uint64{^uint64(0), 0x1000, 1, 0x2000}, result: 0},
		{name: "wait4", args: [6]uint64{^uint64(0), 0x1000, 0, 0x2000}, result: errno(10)},
		{name: "waitid", args: [6]uint64{0, 0, 0x1000, 4, 0x2000}, result: 0, mem: waitidMem,
			want: []Range{{0x1000, 12}, {0x1010, 12}, {0x2000, 144}}},
		{name: "waitid", args: [6]uint64{0, 0, 0x1000, 5, 0x2000}, result: 0, mem: waitidNohang,
			want: []Range{{0x1000, 12}, {0x1010, 12}}},
		{name: "waitid", args: [6]uint64{0, 0, 0x1000, 4, 0}, result: errno(10), mem: waitidNohang,
			want: []Range{{0x1000, 12}, {0x1010, 12}}},
		{name: "getsockopt", args: [6]uint64{3, 1, 4, 0x1000, 0x2000}, result: 0,
			mem: fakeMem{}.u32(0x2000, 4), want: []Range{{0x1000, 4}, {0x2000, 4}}},
		{name: "getsockopt", args: [6]uint64{3, 1, 59, 0x1000, 0x2000}, result: errno(errERANGE),
			want: []Range{{0x2000, 4}}},
		{name: "getsockopt", args: [6]uint64{3, 1, 4, 0x1000, 0x2000}, result: errno(errEINVAL)},
		{name: "nanosleep", args: [6]uint64{0x1000, 0x2000}, result: 0},
		{name: "nanosleep", args: [6]uint64{0x1000, 0x2000}, result: errno(errERESTARTRESTARTBLOCK),
			want: []Range{{0x2000, 16}}},
		{name: "nanosleep", args: [6]uint64{0x1000, 0}, result: errno(errEINTR)},
		{name: "clock_nanosleep", args: [6]uint64{1, 0, 0x1000, 0x2000}, result: errno(errEINTR),
			want: []Range{{0x2000, 16}}},
		{name: "clock_nanosleep", args: [6]uint64{1, 1, 0x1000, 0x2000}, result: errno(errEINTR)},
		{name: "fcntl", args: [6]uint64{3, 5, 0x1000}, result: 0, want: []Range{{0x1000, 32}}},
		{name: "fcntl", args: [6]uint64{3, 4, 0x800}, result: 0},
		{name: "fcntl", args: [6]uint64{3, 999, 0}, result: 0, wantErr: "unsupported fcntl command 0x3e7"},
		{name: "fcntl", args: [6]uint64{3, 999, 0}, result: errno(errEINVAL)},
		{name: "prctl", args: [6]uint64{16, 0x1000}, result: 0, want: []Range{{0x1000, 16}}},
		{name: "prctl", args: [6]uint64{15, 0x1000}, result: 0},
		{name: "prctl", args: [6]uint64{22, 1}, result: 0, wantErr: "PR_SET_SECCOMP mode 0x1"}, // strict
		{name: "prctl", args: [6]uint64{22, 2, 0x1000}, result: 0},
		{name: "seccomp", args: [6]uint64{3, 0, 0x2000}, result: 0, want: []Range{{0x2000, 6}}},
		{name: "arch_prctl", args: [6]uint64{0x1003, 0x1000}, result: 0, want: []Range{{0x1000, 8}}},
		{name: "arch_prctl", args: [6]uint64{0x1002, 0x7f0000001000}, result: 0},
		{name: "arch_prctl", args: [6]uint64{0x1011, 0}, result: 1},
		{name: "clone", args: [6]uint64{0x003d0f00, 0x7000, 0x1000, 0x2000, 0x3000}, result: 1234,
			want: []Range{{0x1000, 4}}},
		{name: "clone", args: [6]uint64{0x003d0f00, 0x7000, 0x1000, 0x2000, 0x3000}, result: 0},
		{name: "clone", args: [6]uint64{0x11, 0, 0x1000}, result: 1234},
		{name: "clone3", args: [6]uint64{0x1000, 88}, result: 99,
			mem:  fakeMem{}.u64(0x1000, 0x00101000, 0x2000, 0x3000, 0x4000),
			want: []Range{{0x2000, 4}, {0x4000, 4}}},
		{name: "futex", args: [6]uint64{0x1000, 0x85, 1, 1, 0x2000, 0x12345}, result: 1, want: []Range{{0x2000, 4}}},
		{name: "futex", args: [6]uint64{0x1000, 0x80, 1}, result: 0},
		{name: "futex", args: [6]uint64{0x1000, 0x86}, result: errno(110), mem: fakeMem{}.u32(0x1000, 5),
			want: []Range{{0x1000, 4}}},
		{name: "epoll_wait", args: [6]uint64{4, 0x1000, 16, 0}, result: 3, want: []Range{{0x1000, 36}}},
		{name: "getdents64", args: [6]uint64{3, 0x1000, 4096}, result: 480, want: []Range{{0x1000, 480}}},
		{name: "getxattr", args: [6]uint64{0x10, 0x20, 0x1000, 0}, result: 30},
		{name: "getxattr", args: [6]uint64{0x10, 0x20, 0x1000, 64}, result: 30, want: []Range{{0x1000, 30}}},
		{name: "getgroups", args: [6]uint64{0, 0}, result: 5},
		{name: "getgroups", args: [6]uint64{32, 0x1000}, result: 5, want: []Range{{0x1000, 20}}},
		{name: "pipe2", args: [6]uint64{0x1000, 0}, result: 0, want: []Range{{0x1000, 8}}},
		{name: "newfstatat", args: [6]uint64{3, 0x10, 0x1000, 0}, result: 0, want: []Range{{0x1000, 144}}},
		{name: "statx", args: [6]uint64{3, 0x10, 0, 0x7ff, 0x1000}, result: 0, want: []Range{{0x1000, 256}}},
		{name: "uname", args: [6]uint64{0x1000}, result: 0, want: []Range{{0x1000, 390}}},
		{name: "time", args: [6]uint64{0}, result: 1700000000},
		{name: "time", args: [6]uint64{0x1000}, result: 1700000000, want: []Range{{0x1000, 8}}},
		{name: "sendfile", args: [6]uint64{1, 3, 0x1000, 100}, result: errno(errEINVAL), want: []Range{{0x1000, 8}}},
		{name: "sendfile", args: [6]uint64{1, 3, 0, 100}, result: 100},
		{name: "getcpu", args: [6]uint64{0x1000, 0, 0}, result: 0, want: []Range{{0x1000, 4}}},
		{name: "capget", args: [6]uint64{0x1000, 0x2000}, result: 0, mem: fakeMem{}.u32(0x1000, 0x20080522),
			want: []Range{{0x2000, 24}}},
		{name: "capget", args: [6]uint64{0x1000, 0x2000}, result: errno(errEINVAL), want: []Range{{0x1000, 4}}},
		{name: "sysfs", args: [6]uint64{2, 0, 0x1000}, result: 0, mem: fakeMem{}.zero(0x1000, 256).put(0x1000, []byte("ext4\x00zz")),
			want: []Range{{0x1000, 5}}},
		{name: "mincore", args: [6]uint64{0x7000, 8193, 0x1000}, result: 0, want: []Range{{0x1000, 3}}},
		{name: "msgrcv", args: [6]uint64{1, 0x1000, 100, 0, 0}, result: 10, want: []Range{{0x1000, 18}}},
		{name: "shmctl", args: [6]uint64{1, 2 | 0x100, 0x1000}, result: 0, want: []Range{{0x1000, 112}}},
		{name: "semctl", args: [6]uint64{1, 0, 13, 0x1000}, result: 0, wantErr: "GETALL"},
		{name: "name_to_handle_at", args: [6]uint64{3, 0x10, 0x1000, 0x2000, 0}, result: 0,
			mem: fakeMem{}.u32(0x1000, 12), want: []Range{{0x2000, 4}, {0x1000, 20}}},
		{name: "name_to_handle_at", args: [6]uint64{3, 0x10, 0x1000, 0x2000, 0}, result: errno(errEOVERFLOW),
			want: []Range{{0x2000, 4}, {0x1000, 8}}},
		{name: "restart_syscall", result: 0, wantErr: "interrupted syscall"},
		{name: "_sysctl", args: [6]uint64{0x1000}, result: errno(38)},
		{name: "_sysctl", args: [6]uint64{0x1000}, result: 0, wantErr: "does not implement"},
	}
	for _, tc := range tests {
		nr, ok := SyscallNumber(tc.name)
		if !ok {
			t.Errorf("%s: no entry", tc.name)
			continue
		}
		s := LookupSyscall(nr)
		c := &Call{Nr: nr, Args: tc.args, Result: tc.result}
		if tc.mem != nil {
			c.Mem = tc.mem
		}
		desc := fmt.Sprintf("%s(%#x) = %d", tc.name, tc.args, tc.result)
		var have []Range
		var err error
		if s.Writes != nil {
			have, err = s.Writes(c)
		}
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: have error %v want one containing %q", desc, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s: have error %v want %v", desc, err, tc.want)
		case len(have) != 0 || len(tc.want) != 0:
			if !reflect.DeepEqual(have, tc.want) {
				t.Errorf("%s: have %v want %v", desc, have, tc.want)
			}
		}
	}
}

// Calls that write nothing must say so with a nil rule, not a rule that
// happens to return nothing.
func TestNoWriteCallsHaveNilRule(t *testing.T) {
	for _, name := range []string{
		"write", "close", "openat", "lseek", "sendmsg", "sendto", "connect", "dup3",
		"mmap", "kill", "exit_group", "set_robust_list", "set_tid_address", "eventfd2",
		"memfd_create", "epoll_ctl", "timerfd_create", "futex_waitv", "close_range",
	} {
		nr, _ := SyscallNumber(name)
		if s := LookupSyscall(nr); s == nil || s.Writes != nil {
			t.Errorf("%s: have %v want an entry with nil Writes", name, s)
		}
	}
}
