package arch

import (
	"encoding/binary"
	"fmt"
)

// rule computes the user memory a finished call wrote (Syscall.Writes).
type rule = func(c *Call) ([]Range, error)

// x86-64 kernel struct sizes.
const (
	sizeofStat         = 144
	sizeofStatx        = 256
	sizeofStatfs       = 120
	sizeofUstat        = 32
	sizeofTimespec     = 16
	sizeofTimeval      = 16
	sizeofTimezone     = 8
	sizeofItimerspec   = 32
	sizeofItimerval    = 32
	sizeofTimex        = 208
	sizeofRusage       = 144
	sizeofSysinfo      = 112
	sizeofUtsname      = 390
	sizeofRlimit       = 16
	sizeofTms          = 32
	sizeofSigaction    = 32 // kernel struct sigaction: handler, flags, restorer, 8-byte mask
	sizeofStackT       = 24
	sizeofSiginfo      = 128
	sizeofFlock        = 32
	sizeofFOwnerEx     = 8
	sizeofEpollEvent   = 12 // packed on x86-64
	sizeofPollfd       = 8
	sizeofIovec        = 16
	sizeofMsghdr       = 56
	sizeofMmsghdr      = 64
	sizeofSockaddrMax  = 128 // struct sockaddr_storage: the most the kernel returns
	sizeofIoEvent      = 32
	sizeofMqAttr       = 64
	sizeofCapData      = 12
	sizeofShmidDs      = 112
	sizeofShminfo      = 72
	sizeofShmInfo      = 48
	sizeofMsqidDs      = 120
	sizeofMsginfo      = 32
	sizeofSemidDs      = 104
	sizeofSeminfo      = 40
	sizeofCachestat    = 40
	sizeofKeyPkeyQuery = 56
	pageSize           = 4096
	iovMax             = 1024
)

// Errno values (positive) that rules look at.
const (
	errE2BIG     = 7
	errEBADF     = 9
	errEINTR     = 4
	errEACCES    = 13
	errEFAULT    = 14
	errENXIO     = 6
	errENODEV    = 19
	errEINVAL    = 22
	errEPERM     = 1
	errENOTTY    = 25
	errERANGE    = 34
	errEOVERFLOW = 75
	errEOPNOTSUP = 95
	// Kernel-internal restart codes, visible to a tracer at syscall exit.
	errERESTARTSYS          = 512
	errERESTARTNOINTR       = 513
	errERESTARTNOHAND       = 514
	errERESTARTRESTARTBLOCK = 516
)

// Failed reports an error return (-4095..-1); other values are results
// (an mmap's address may be negative as a signed number).
func Failed(result int64) bool { return result < 0 && result >= -4095 }

func failed(c *Call) bool { return Failed(c.Result) }

func isErr(c *Call, errno int64) bool { return c.Result == -errno }

// interrupted reports that a signal cut the call short.
func interrupted(c *Call) bool {
	switch -c.Result {
	case errEINTR, errERESTARTSYS, errERESTARTNOINTR, errERESTARTNOHAND, errERESTARTRESTARTBLOCK:
		return true
	}
	return false
}

func span(addr, n uint64) []Range {
	if addr == 0 || n == 0 {
		return nil
	}
	return []Range{{addr, n}}
}

func readMem(c *Call, addr, n uint64) ([]byte, error) {
	if c.Mem == nil {
		return nil, fmt.Errorf("no memory reader to follow the pointer %#x", addr)
	}
	buf := make([]byte, n)
	if err := c.Mem.ReadMem(addr, buf); err != nil {
		return nil, fmt.Errorf("reading %d bytes at %#x: %w", n, addr, err)
	}
	return buf, nil
}

func readU32(c *Call, addr uint64) (uint64, error) {
	b, err := readMem(c, addr, 4)
	if err != nil {
		return 0, err
	}
	return uint64(binary.LittleEndian.Uint32(b)), nil
}

// readable probes memory; used where the kernel may or may not have
// written, so that re-writing unchanged bytes is harmless but the range
// must exist.
func readable(c *Call, addr, n uint64) bool {
	if c.Mem == nil || addr == 0 {
		return false
	}
	return c.Mem.ReadMem(addr, make([]byte, n)) == nil
}

// all concatenates the ranges of several rules.
func allOf(rules ...rule) rule {
	return func(c *Call) ([]Range, error) {
		var rs []Range
		for _, r := range rules {
			x, err := r(c)
			if err != nil {
				return nil, err
			}
			rs = append(rs, x...)
		}
		return rs, nil
	}
}

// out: a fixed-size object at pointer arg, written on success if non-null.
func out(arg int, size uint64) rule {
	return func(c *Call) ([]Range, error) {
		if failed(c) {
			return nil, nil
		}
		return span(c.Args[arg], size), nil
	}
}

// resultBytes: read-like, Result bytes at arg.
func resultBytes(arg int) rule {
	return func(c *Call) ([]Range, error) {
		if c.Result <= 0 {
			return nil, nil
		}
		return span(c.Args[arg], uint64(c.Result)), nil
	}
}

// resultBytesMax: Result bytes at arg, capped by the buffer size in
// maxArg (recvfrom with MSG_TRUNC, calls returning the full size).
func resultBytesMax(arg, maxArg int) rule {
	return func(c *Call) ([]Range, error) {
		if c.Result <= 0 {
			return nil, nil
		}
		return span(c.Args[arg], min(uint64(c.Result), c.Args[maxArg])), nil
	}
}

// resultItems: Result objects of size bytes at arg.
func resultItems(arg int, size uint64) rule {
	return func(c *Call) ([]Range, error) {
		if c.Result <= 0 {
			return nil, nil
		}
		return span(c.Args[arg], uint64(c.Result)*size), nil
	}
}

// argBytes: a buffer at arg whose size is in sizeArg, filled on success.
func argBytes(arg, sizeArg int) rule {
	return func(c *Call) ([]Range, error) {
		if failed(c) {
			return nil, nil
		}
		return span(c.Args[arg], c.Args[sizeArg]), nil
	}
}

// argItems: cntArg objects of size bytes at arg, filled on success.
func argItems(arg, cntArg int, size uint64) rule {
	return func(c *Call) ([]Range, error) {
		if failed(c) {
			return nil, nil
		}
		return span(c.Args[arg], c.Args[cntArg]*size), nil
	}
}

// ifNonZero applies r only when arg is non-zero (e.g. getxattr with size
// 0 only returns the size it would need).
func ifNonZero(arg int, r rule) rule {
	return func(c *Call) ([]Range, error) {
		if c.Args[arg] == 0 {
			return nil, nil
		}
		return r(c)
	}
}

// inOut: an object the kernel reads at entry and writes back whatever the
// outcome (sendfile offset, select/ppoll timeout). After EFAULT the pointer
// may be bad, so it is kept only if readable.
func inOut(arg int, size uint64) rule {
	return func(c *Call) ([]Range, error) {
		p := c.Args[arg]
		if p == 0 || isErr(c, errEFAULT) && !readable(c, p, size) {
			return nil, nil
		}
		return span(p, size), nil
	}
}

// remOnInterrupt: the remaining time nanosleep-like calls store when a
// signal interrupts them (they write nothing on success).
func remOnInterrupt(arg int) rule {
	return func(c *Call) ([]Range, error) {
		if !interrupted(c) {
			return nil, nil
		}
		return span(c.Args[arg], sizeofTimespec), nil
	}
}

// iovecs: Result bytes spread over the iovec array at arg (cntArg entries).
func iovecs(arg, cntArg int) rule {
	return func(c *Call) ([]Range, error) {
		if c.Result <= 0 {
			return nil, nil
		}
		return spreadIovecs(c, c.Args[arg], c.Args[cntArg], uint64(c.Result))
	}
}

func spreadIovecs(c *Call, iov, cnt, n uint64) ([]Range, error) {
	if n == 0 || cnt == 0 {
		return nil, nil
	}
	if cnt > iovMax {
		return nil, fmt.Errorf("%d iovecs, more than IOV_MAX", cnt)
	}
	b, err := readMem(c, iov, cnt*sizeofIovec)
	if err != nil {
		return nil, err
	}
	var rs []Range
	for i := uint64(0); i < cnt && n > 0; i++ {
		base := binary.LittleEndian.Uint64(b[i*sizeofIovec:])
		k := min(binary.LittleEndian.Uint64(b[i*sizeofIovec+8:]), n)
		rs = append(rs, span(base, k)...)
		n -= k
	}
	return rs, nil
}

// sockaddrOut: a socket address and its socklen_t. The kernel copies
// min(caller's len, real len) and stores the real len; only the stored
// value is visible at exit, so a truncated address is over-covered by the
// difference (at most 128 bytes total).
func sockaddrOut(c *Call, addr, lenp uint64) ([]Range, error) {
	if addr == 0 || lenp == 0 {
		return nil, nil
	}
	n, err := readU32(c, lenp)
	if err != nil {
		return nil, err
	}
	return append(span(addr, min(n, sizeofSockaddrMax)), Range{lenp, 4}), nil
}

func sockaddr(addrArg, lenArg int) rule {
	return func(c *Call) ([]Range, error) {
		if failed(c) {
			return nil, nil
		}
		return sockaddrOut(c, c.Args[addrArg], c.Args[lenArg])
	}
}

// recvMsghdr: what recvmsg wrote for one struct msghdr at mh that received
// n bytes: name + msg_namelen, the data, control + msg_controllen, msg_flags.
func recvMsghdr(c *Call, mh, n uint64) ([]Range, error) {
	b, err := readMem(c, mh, sizeofMsghdr)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	name, iov, iovlen := le.Uint64(b[0:]), le.Uint64(b[16:]), le.Uint64(b[24:])
	control, controllen := le.Uint64(b[32:]), le.Uint64(b[40:])
	var rs []Range
	if name != 0 {
		namelen := uint64(le.Uint32(b[8:]))
		rs = append(rs, span(name, min(namelen, sizeofSockaddrMax))...)
		rs = append(rs, Range{mh + 8, 4})
	}
	data, err := spreadIovecs(c, iov, iovlen, n)
	if err != nil {
		return nil, err
	}
	rs = append(rs, data...)
	// msg_controllen now holds the bytes of control data written.
	rs = append(rs, span(control, controllen)...)
	rs = append(rs, Range{mh + 40, 8}, Range{mh + 48, 4})
	return rs, nil
}

func recvmsgWrites(c *Call) ([]Range, error) {
	if failed(c) {
		return nil, nil
	}
	return recvMsghdr(c, c.Args[1], uint64(c.Result))
}

// recvmmsg fills Result struct mmsghdr entries (msghdr + msg_len) and
// updates the timeout when it received something.
func recvmmsgWrites(c *Call) ([]Range, error) {
	if c.Result <= 0 {
		return nil, nil
	}
	var rs []Range
	for i := uint64(0); i < uint64(c.Result); i++ {
		e := c.Args[1] + i*sizeofMmsghdr
		n, err := readU32(c, e+sizeofMsghdr)
		if err != nil {
			return nil, err
		}
		x, err := recvMsghdr(c, e, n)
		if err != nil {
			return nil, err
		}
		rs = append(append(rs, x...), Range{e + sizeofMsghdr, 4})
	}
	return append(rs, span(c.Args[4], sizeofTimespec)...), nil
}

// sendmmsg stores msg_len in each entry it sent.
func sendmmsgWrites(c *Call) ([]Range, error) {
	if c.Result <= 0 {
		return nil, nil
	}
	var rs []Range
	for i := uint64(0); i < uint64(c.Result); i++ {
		rs = append(rs, Range{c.Args[1] + i*sizeofMmsghdr + sizeofMsghdr, 4})
	}
	return rs, nil
}

// getsockopt: optval holds *optlen bytes (the kernel stores what it
// copied); ERANGE (SO_PEERSEC, SO_PEERGROUPS) stores only the needed len.
func getsockoptWrites(c *Call) ([]Range, error) {
	optval, optlen := c.Args[3], c.Args[4]
	if optlen == 0 {
		return nil, nil
	}
	if isErr(c, errERANGE) {
		return []Range{{optlen, 4}}, nil
	}
	if failed(c) {
		return nil, nil
	}
	n, err := readU32(c, optlen)
	if err != nil {
		return nil, err
	}
	return append(span(optval, n), Range{optlen, 4}), nil
}

// pollFds: poll stores every revents, also when a signal interrupts it.
func pollFdsWrites(c *Call) ([]Range, error) {
	if failed(c) && !interrupted(c) {
		return nil, nil
	}
	return span(c.Args[0], c.Args[1]*sizeofPollfd), nil
}

// fdSets: select and pselect6 rewrite the three fd_sets on success, each
// (nfds+63)/64 longs (the caller's sets must be that large by contract).
func fdSetsWrites(c *Call) ([]Range, error) {
	if failed(c) {
		return nil, nil
	}
	n := uint64(uint32(c.Args[0]))
	if int32(n) < 0 {
		return nil, nil
	}
	size := (n + 63) / 64 * 8
	var rs []Range
	for _, p := range c.Args[1:4] {
		rs = append(rs, span(p, size)...)
	}
	return rs, nil
}

// wait4 stores status and rusage only when it reaped a child (Result > 0).
func wait4Writes(c *Call) ([]Range, error) {
	if c.Result <= 0 {
		return nil, nil
	}
	return append(span(c.Args[1], 4), span(c.Args[3], sizeofRusage)...), nil
}

// waitid stores si_signo, si_errno, si_code, si_pid, si_uid and si_status
// (not the whole siginfo) whatever the outcome, and rusage when a child
// was found (si_signo == SIGCHLD).
func waitidWrites(c *Call) ([]Range, error) {
	const sigchld = 17
	infop, ru := c.Args[2], c.Args[4]
	var rs []Range
	if infop != 0 && (!isErr(c, errEFAULT) || readable(c, infop, 28)) {
		rs = append(rs, Range{infop, 12}, Range{infop + 16, 12})
	}
	if ru == 0 || failed(c) {
		return rs, nil
	}
	if infop != 0 {
		signo, err := readU32(c, infop)
		if err != nil {
			return nil, err
		}
		if signo == sigchld {
			rs = append(rs, Range{ru, sizeofRusage})
		}
	} else if readable(c, ru, sizeofRusage) {
		// Cannot tell whether a child was found: keep it if it exists.
		rs = append(rs, Range{ru, sizeofRusage})
	}
	return rs, nil
}

// capget stores 1 (v1) or 2 (v2, v3) data structs; for an unknown version
// it stores the preferred one into the header and fails with EINVAL
// (or succeeds when datap is NULL).
func capgetWrites(c *Call) ([]Range, error) {
	hdr, data := c.Args[0], c.Args[1]
	if hdr == 0 {
		return nil, nil
	}
	if isErr(c, errEINVAL) || !failed(c) && data == 0 {
		return []Range{{hdr, 4}}, nil
	}
	if failed(c) {
		return nil, nil
	}
	v, err := readU32(c, hdr)
	if err != nil {
		return nil, err
	}
	n := uint64(2)
	if v == 0x19980330 {
		n = 1
	}
	return span(data, n*sizeofCapData), nil
}

// clone stores the child's tid (CLONE_PARENT_SETTID) or a pidfd
// (CLONE_PIDFD) at parent_tid in the parent. CLONE_CHILD_SETTID is
// written by the child itself, later.
func cloneWrites(c *Call) ([]Range, error) {
	const parentSettid, pidfd = 0x00100000, 0x00001000
	if c.Result <= 0 || c.Args[0]&(parentSettid|pidfd) == 0 {
		return nil, nil
	}
	return span(c.Args[2], 4), nil
}

// clone3 reads struct clone_args {flags, pidfd, child_tid, parent_tid, …}.
func clone3Writes(c *Call) ([]Range, error) {
	const parentSettid, pidfd = 0x00100000, 0x00001000
	if c.Result <= 0 {
		return nil, nil
	}
	b, err := readMem(c, c.Args[0], 32)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	flags := le.Uint64(b[0:])
	var rs []Range
	if flags&pidfd != 0 {
		rs = append(rs, span(le.Uint64(b[8:]), 4)...)
	}
	if flags&parentSettid != 0 {
		rs = append(rs, span(le.Uint64(b[24:]), 4)...)
	}
	return rs, nil
}

// Futex operations that write the futex word.
const (
	futexWakeOp        = 5
	futexLockPI        = 6
	futexUnlockPI      = 7
	futexTrylockPI     = 8
	futexWaitRequeuePI = 11
	futexCmpRequeuePI  = 12
	futexLockPI2       = 13
)

// futex: FUTEX_WAKE_OP modifies *uaddr2; the PI operations store owner
// tid and waiter bits into the futex word, also when they fail, so those
// are kept whenever readable.
func futexWrites(c *Call) ([]Range, error) {
	uaddr, uaddr2 := c.Args[0], c.Args[4]
	switch c.Args[1] &^ 0x180 { // FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME
	case futexWakeOp:
		if failed(c) {
			return nil, nil
		}
		return span(uaddr2, 4), nil
	case futexLockPI, futexUnlockPI, futexTrylockPI, futexLockPI2:
		if readable(c, uaddr, 4) {
			return span(uaddr, 4), nil
		}
	case futexWaitRequeuePI, futexCmpRequeuePI:
		if readable(c, uaddr2, 4) {
			return span(uaddr2, 4), nil
		}
	}
	return nil, nil
}

// FutexWordOnEntry is the futex word a PI futex call that goes to sleep
// has already written when it sleeps (the waiters bit), so other threads
// see it before the call returns.
func FutexWordOnEntry(args [6]uint64) (uint64, bool) {
	switch args[1] &^ 0x180 {
	case futexLockPI, futexLockPI2:
		return args[0], true
	case futexWaitRequeuePI:
		return args[4], true
	}
	return 0, false
}

// FutexHandsOver tells whether a futex call gives a PI lock to a waiting
// thread: the kernel writes the new owner into the lock word, and the
// waiter's call returns, as part of this call.
func FutexHandsOver(args [6]uint64) bool {
	op := args[1] &^ 0x180
	return op == futexUnlockPI || op == futexCmpRequeuePI
}

// cstring: a NUL-terminated string of unknown length at arg (at most max
// bytes), measured in memory after the call.
func cstring(arg int, max uint64) rule {
	return func(c *Call) ([]Range, error) {
		p := c.Args[arg]
		if failed(c) || p == 0 {
			return nil, nil
		}
		for n := uint64(0); n < max; {
			// Read up to the page end so a short buffer before an
			// unmapped page is not an error.
			k := min(pageSize-(p+n)%pageSize, max-n)
			b, err := readMem(c, p+n, k)
			if err != nil {
				return nil, err
			}
			for i, x := range b {
				if x == 0 {
					return []Range{{p, n + uint64(i) + 1}}, nil
				}
			}
			n += k
		}
		return nil, fmt.Errorf("no NUL within %d bytes at %#x", max, p)
	}
}

// cases maps a command argument to its rule (nil: writes nothing).
type cases map[uint64]rule

// byArg selects a rule by the command in arg (masked). An unknown command
// that failed wrote nothing (the kernel rejects it before touching
// memory); one that succeeded is an error naming it.
func byArg(what string, arg int, mask uint64, cs cases) rule {
	return func(c *Call) ([]Range, error) {
		cmd := c.Args[arg] & mask
		r, ok := cs[cmd]
		if !ok {
			if failed(c) {
				return nil, nil
			}
			return nil, fmt.Errorf("unsupported %s 0x%x", what, cmd)
		}
		if r == nil {
			return nil, nil
		}
		return r(c)
	}
}

// refuse: the call's effects cannot be recorded if it succeeded.
func refuse(why string) rule {
	return func(c *Call) ([]Range, error) {
		if failed(c) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s", why)
	}
}

// enosys: syscalls Linux no longer implements; success would be a surprise.
var enosys = refuse("succeeded, but Linux does not implement it")

// restartSyscall: restart_syscall continues an interrupted call (nanosleep,
// poll, futex, …) whose rule applies. Argument registers are preserved, so
// the recorder must apply the interrupted syscall's rule instead.
func restartSyscallWrites(c *Call) ([]Range, error) {
	return nil, fmt.Errorf("the effects of restart_syscall are those of the interrupted syscall; apply that syscall's rule")
}

func mincoreWrites(c *Call) ([]Range, error) {
	if failed(c) {
		return nil, nil
	}
	return span(c.Args[2], (c.Args[1]+pageSize-1)/pageSize), nil
}

// getMempolicy: mode, and the nodemask rounded up to longs of maxnode-1 bits.
func getMempolicyWrites(c *Call) ([]Range, error) {
	if failed(c) {
		return nil, nil
	}
	rs := span(c.Args[0], 4)
	if maxnode := c.Args[2]; maxnode > 0 {
		rs = append(rs, span(c.Args[1], (maxnode-1+63)/64*8)...)
	}
	return rs, nil
}

// nameToHandleAt: mount id (u64 with AT_HANDLE_MNT_ID_UNIQUE) and
// struct file_handle {handle_bytes, handle_type, f_handle}; on EOVERFLOW
// only the header (with the needed size).
func nameToHandleAtWrites(c *Call) ([]Range, error) {
	const mntIDUnique = 0x001
	handle, mntID := c.Args[2], c.Args[3]
	overflow := isErr(c, errEOVERFLOW)
	if failed(c) && !overflow {
		return nil, nil
	}
	idSize := uint64(4)
	if c.Args[4]&mntIDUnique != 0 {
		idSize = 8
	}
	rs := span(mntID, idSize)
	n := uint64(0)
	if !overflow {
		var err error
		if n, err = readU32(c, handle); err != nil {
			return nil, err
		}
	}
	return append(rs, span(handle, 8+n)...), nil
}

// msgrcv: long mtype then Result bytes of mtext.
func msgrcvWrites(c *Call) ([]Range, error) {
	if failed(c) {
		return nil, nil
	}
	return span(c.Args[1], 8+uint64(c.Result)), nil
}

// sched_setattr stores the kernel's struct size when it fails with E2BIG.
func schedSetattrWrites(c *Call) ([]Range, error) {
	if !isErr(c, errE2BIG) {
		return nil, nil
	}
	return span(c.Args[1], 4), nil
}

// keyctlBuf: DESCRIBE/READ/GET_SECURITY return the full size and copy only
// if it fits; older kernels copied a truncated READ, covered when readable.
func keyctlBufWrites(c *Call) ([]Range, error) {
	buf, buflen := c.Args[2], c.Args[3]
	if c.Result <= 0 || buf == 0 {
		return nil, nil
	}
	if n := uint64(c.Result); n <= buflen {
		return span(buf, n), nil
	}
	if readable(c, buf, buflen) {
		return span(buf, buflen), nil
	}
	return nil, nil
}

// quotactl: the command is QCMD(cmd, type) = cmd<<8 | type; addr in addrArg.
func quotactlWrites(cmdArg, addrArg int) rule {
	sizes := map[uint64]uint64{
		0x800001: 0, 0x800002: 0, 0x800003: 0, // Q_SYNC, Q_QUOTAON, Q_QUOTAOFF
		0x800004: 4,            // Q_GETFMT
		0x800005: 24,           // Q_GETINFO: struct if_dqinfo
		0x800006: 0,            // Q_SETINFO
		0x800007: 72,           // Q_GETQUOTA: struct if_dqblk
		0x800008: 0,            // Q_SETQUOTA
		0x800009: 72,           // Q_GETNEXTQUOTA: struct if_nextdqblk
		0x5801:   0, 0x5802: 0, // Q_XQUOTAON, Q_XQUOTAOFF
		0x5803: 112,          // Q_XGETQUOTA: struct fs_disk_quota
		0x5804: 0,            // Q_XSETQLIM
		0x5805: 80,           // Q_XGETQSTAT: struct fs_quota_stat
		0x5806: 0, 0x5807: 0, // Q_XQUOTARM, Q_XQUOTASYNC
		0x5808: 160, // Q_XGETQSTATV: struct fs_quota_statv
		0x5809: 112, // Q_XGETNEXTQUOTA
	}
	return func(c *Call) ([]Range, error) {
		cmd := uint64(uint32(c.Args[cmdArg])) >> 8
		size, ok := sizes[cmd]
		if failed(c) {
			return nil, nil
		}
		if !ok {
			return nil, fmt.Errorf("unsupported quotactl command 0x%x", cmd)
		}
		return span(c.Args[addrArg], size), nil
	}
}

// statmount stores struct statmount and its strings; its leading u32 size
// is the number of bytes copied.
func statmountWrites(c *Call) ([]Range, error) {
	if failed(c) || c.Args[1] == 0 {
		return nil, nil
	}
	n, err := readU32(c, c.Args[1])
	if err != nil {
		return nil, err
	}
	return span(c.Args[1], min(n, c.Args[2])), nil
}

// lsmListModules: u64 ids and the u32 total size (size alone on E2BIG).
func lsmListModulesWrites(c *Call) ([]Range, error) {
	if isErr(c, errE2BIG) {
		return span(c.Args[1], 4), nil
	}
	if failed(c) {
		return nil, nil
	}
	return append(span(c.Args[0], uint64(c.Result)*8), span(c.Args[1], 4)...), nil
}

// getxattrat reads struct xattr_args {u64 value; u32 size; u32 flags}.
func getxattratWrites(c *Call) ([]Range, error) {
	if c.Result <= 0 || c.Args[3] == 0 {
		return nil, nil
	}
	b, err := readMem(c, c.Args[3], 16)
	if err != nil {
		return nil, err
	}
	value, size := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint32(b[8:])
	if size == 0 {
		return nil, nil
	}
	return span(value, uint64(c.Result)), nil
}

// ioctlOut maps ioctl requests to the bytes they store at arg 3 (0: none).
var ioctlOut = map[uint64]uint64{
	0x5401:     36, // TCGETS: kernel struct termios
	0x5402:     0,  // TCSETS
	0x5403:     0,  // TCSETSW
	0x5404:     0,  // TCSETSF
	0x5405:     18, // TCGETA: struct termio (older kernels stored 17 of its bytes)
	0x5406:     0,  // TCSETA
	0x5407:     0,  // TCSETAW
	0x5408:     0,  // TCSETAF
	0x5409:     0,  // TCSBRK
	0x540a:     0,  // TCXONC
	0x540b:     0,  // TCFLSH
	0x540c:     0,  // TIOCEXCL
	0x540d:     0,  // TIOCNXCL
	0x540e:     0,  // TIOCSCTTY
	0x540f:     4,  // TIOCGPGRP
	0x5410:     0,  // TIOCSPGRP
	0x5411:     4,  // TIOCOUTQ, SIOCOUTQ
	0x5412:     0,  // TIOCSTI
	0x5413:     8,  // TIOCGWINSZ
	0x5414:     0,  // TIOCSWINSZ
	0x5415:     4,  // TIOCMGET
	0x5416:     0,  // TIOCMBIS
	0x5417:     0,  // TIOCMBIC
	0x5418:     0,  // TIOCMSET
	0x5419:     4,  // TIOCGSOFTCAR
	0x541a:     0,  // TIOCSSOFTCAR
	0x541b:     4,  // FIONREAD, TIOCINQ, SIOCINQ
	0x541d:     0,  // TIOCCONS
	0x541e:     72, // TIOCGSERIAL: struct serial_struct
	0x541f:     0,  // TIOCSSERIAL
	0x5420:     0,  // TIOCPKT
	0x5421:     0,  // FIONBIO
	0x5422:     0,  // TIOCNOTTY
	0x5423:     0,  // TIOCSETD
	0x5424:     4,  // TIOCGETD
	0x5425:     0,  // TCSBRKP
	0x5427:     0,  // TIOCSBRK
	0x5428:     0,  // TIOCCBRK
	0x5429:     4,  // TIOCGSID
	0x802c542a: 44, // TCGETS2: struct termios2
	0x402c542b: 0,  // TCSETS2
	0x402c542c: 0,  // TCSETSW2
	0x402c542d: 0,  // TCSETSF2
	0x542e:     32, // TIOCGRS485: struct serial_rs485
	0x80045430: 4,  // TIOCGPTN
	0x40045431: 0,  // TIOCSPTLCK
	0x80045432: 4,  // TIOCGDEV
	0x40045436: 0,  // TIOCSIG
	0x5437:     0,  // TIOCVHANGUP
	0x80045438: 4,  // TIOCGPKT
	0x80045439: 4,  // TIOCGPTLCK
	0x80045440: 4,  // TIOCGEXCL
	0x5441:     0,  // TIOCGPTPEER: returns an fd
	0x5450:     0,  // FIONCLEX
	0x5451:     0,  // FIOCLEX
	0x5452:     0,  // FIOASYNC
	0x5456:     36, // TIOCGLCKTRMIOS
	0x5457:     0,  // TIOCSLCKTRMIOS
	0x5459:     4,  // TIOCSERGETLSR
	0x5460:     8,  // FIOQSIZE: loff_t
	0x8905:     4,  // SIOCATMARK
	0x8910:     40, // SIOCGIFNAME: the whole struct ifreq is copied back
	0x8913:     40, // SIOCGIFFLAGS
	0x8915:     40, // SIOCGIFADDR
	0x8917:     40, // SIOCGIFDSTADDR
	0x8919:     40, // SIOCGIFBRDADDR
	0x891b:     40, // SIOCGIFNETMASK
	0x891d:     40, // SIOCGIFMETRIC
	0x8921:     40, // SIOCGIFMTU
	0x8927:     40, // SIOCGIFHWADDR
	0x8933:     40, // SIOCGIFINDEX
	0x8942:     40, // SIOCGIFTXQLEN
	0x125e:     4,  // BLKROGET
	0x1260:     8,  // BLKGETSIZE: unsigned long
	0x1268:     4,  // BLKSSZGET
	0x80081270: 4,  // BLKBSZGET: declared size_t, stores an int
	0x80081272: 8,  // BLKGETSIZE64
	0x127b:     4,  // BLKPBSZGET
	0x80086601: 4,  // FS_IOC_GETFLAGS: declared long, stores an int
	0x40086602: 0,  // FS_IOC_SETFLAGS
	0x80087601: 4,  // FS_IOC_GETVERSION: stores an int
	0x801c581f: 28, // FS_IOC_FSGETXATTR: struct fsxattr
	0x401c5820: 0,  // FS_IOC_FSSETXATTR
	0x40049409: 0,  // FICLONE
	0x4020940d: 0,  // FICLONERANGE
}

// ioctl: by request. An unknown request is an error unless it failed with
// an errno that means the request was refused before any copy-out.
func ioctlWrites(c *Call) ([]Range, error) {
	req := uint64(uint32(c.Args[1]))
	size, ok := ioctlOut[req]
	if !ok {
		if failed(c) {
			switch -c.Result {
			case errENOTTY, errEBADF, errEINVAL, errEOPNOTSUP, errENODEV, errENXIO, errEPERM, errEACCES:
				return nil, nil
			}
		}
		return nil, fmt.Errorf("unsupported ioctl request 0x%x", req)
	}
	if failed(c) {
		return nil, nil
	}
	return span(c.Args[2], size), nil
}

var fcntlWrites = byArg("fcntl command", 1, 0xffffffff, cases{
	0:    nil,                    // F_DUPFD
	1:    nil,                    // F_GETFD
	2:    nil,                    // F_SETFD
	3:    nil,                    // F_GETFL
	4:    nil,                    // F_SETFL
	5:    out(2, sizeofFlock),    // F_GETLK
	6:    nil,                    // F_SETLK
	7:    nil,                    // F_SETLKW
	8:    nil,                    // F_SETOWN
	9:    nil,                    // F_GETOWN
	10:   nil,                    // F_SETSIG
	11:   nil,                    // F_GETSIG
	15:   nil,                    // F_SETOWN_EX
	16:   out(2, sizeofFOwnerEx), // F_GETOWN_EX
	17:   out(2, 8),              // F_GETOWNER_UIDS: two uid_t
	36:   out(2, sizeofFlock),    // F_OFD_GETLK
	37:   nil,                    // F_OFD_SETLK
	38:   nil,                    // F_OFD_SETLKW
	1024: nil,                    // F_SETLEASE
	1025: nil,                    // F_GETLEASE
	1026: nil,                    // F_NOTIFY
	1027: nil,                    // F_DUPFD_QUERY
	1028: nil,                    // F_CREATED_QUERY
	1030: nil,                    // F_DUPFD_CLOEXEC
	1031: nil,                    // F_SETPIPE_SZ
	1032: nil,                    // F_GETPIPE_SZ
	1033: nil,                    // F_ADD_SEALS
	1034: nil,                    // F_GET_SEALS
	1035: out(2, 8),              // F_GET_RW_HINT
	1036: nil,                    // F_SET_RW_HINT
	1037: out(2, 8),              // F_GET_FILE_RW_HINT
	1038: nil,                    // F_SET_FILE_RW_HINT
})

// prctl: getters that store through arg 2; the rest return values or set
// state. PR_SET_SECCOMP and PR_SET_SYSCALL_USER_DISPATCH change how the
// task's syscalls behave, which rewind's own syscall interception cannot
// coexist with. PR_SET_TSC is emulated although rewind itself uses it.
var prctlWrites = byArg("prctl option", 0, 0xffffffff, cases{
	1:          nil,                      // PR_SET_PDEATHSIG
	2:          out(1, 4),                // PR_GET_PDEATHSIG
	3:          nil,                      // PR_GET_DUMPABLE
	4:          nil,                      // PR_SET_DUMPABLE
	5:          out(1, 4),                // PR_GET_UNALIGN
	6:          nil,                      // PR_SET_UNALIGN
	7:          nil,                      // PR_GET_KEEPCAPS
	8:          nil,                      // PR_SET_KEEPCAPS
	9:          out(1, 4),                // PR_GET_FPEMU
	10:         nil,                      // PR_SET_FPEMU
	11:         out(1, 4),                // PR_GET_FPEXC
	12:         nil,                      // PR_SET_FPEXC
	13:         nil,                      // PR_GET_TIMING
	14:         nil,                      // PR_SET_TIMING
	15:         nil,                      // PR_SET_NAME
	16:         out(1, 16),               // PR_GET_NAME
	19:         out(1, 4),                // PR_GET_ENDIAN
	20:         nil,                      // PR_SET_ENDIAN
	21:         nil,                      // PR_GET_SECCOMP
	22:         prSetSeccomp,             // PR_SET_SECCOMP
	23:         nil,                      // PR_CAPBSET_READ
	24:         nil,                      // PR_CAPBSET_DROP
	25:         out(1, 4),                // PR_GET_TSC
	26:         nil,                      // PR_SET_TSC
	27:         nil,                      // PR_GET_SECUREBITS
	28:         nil,                      // PR_SET_SECUREBITS
	29:         nil,                      // PR_SET_TIMERSLACK
	30:         nil,                      // PR_GET_TIMERSLACK
	31:         nil,                      // PR_TASK_PERF_EVENTS_DISABLE
	32:         nil,                      // PR_TASK_PERF_EVENTS_ENABLE
	33:         nil,                      // PR_MCE_KILL
	34:         nil,                      // PR_MCE_KILL_GET
	35:         prSetMM,                  // PR_SET_MM
	36:         nil,                      // PR_SET_CHILD_SUBREAPER
	37:         out(1, 4),                // PR_GET_CHILD_SUBREAPER
	38:         nil,                      // PR_SET_NO_NEW_PRIVS
	39:         nil,                      // PR_GET_NO_NEW_PRIVS
	40:         out(1, 8),                // PR_GET_TID_ADDRESS
	41:         nil,                      // PR_SET_THP_DISABLE
	42:         nil,                      // PR_GET_THP_DISABLE
	43:         nil,                      // PR_MPX_ENABLE_MANAGEMENT
	44:         nil,                      // PR_MPX_DISABLE_MANAGEMENT
	45:         nil,                      // PR_SET_FP_MODE
	46:         nil,                      // PR_GET_FP_MODE
	47:         nil,                      // PR_CAP_AMBIENT
	50:         nil,                      // PR_SVE_SET_VL
	51:         nil,                      // PR_SVE_GET_VL
	52:         nil,                      // PR_GET_SPECULATION_CTRL
	53:         nil,                      // PR_SET_SPECULATION_CTRL
	54:         nil,                      // PR_PAC_RESET_KEYS
	55:         nil,                      // PR_SET_TAGGED_ADDR_CTRL
	56:         nil,                      // PR_GET_TAGGED_ADDR_CTRL
	57:         nil,                      // PR_SET_IO_FLUSHER
	58:         nil,                      // PR_GET_IO_FLUSHER
	59:         prSetSyscallUserDispatch, // PR_SET_SYSCALL_USER_DISPATCH
	60:         nil,                      // PR_PAC_SET_ENABLED_KEYS
	61:         nil,                      // PR_PAC_GET_ENABLED_KEYS
	62:         prSchedCore,              // PR_SCHED_CORE
	63:         nil,                      // PR_SME_SET_VL
	64:         nil,                      // PR_SME_GET_VL
	65:         nil,                      // PR_SET_MDWE
	66:         nil,                      // PR_GET_MDWE
	67:         nil,                      // PR_SET_MEMORY_MERGE
	68:         nil,                      // PR_GET_MEMORY_MERGE
	69:         nil,                      // PR_RISCV_V_SET_CONTROL
	70:         nil,                      // PR_RISCV_V_GET_CONTROL
	71:         nil,                      // PR_RISCV_SET_ICACHE_FLUSH_CTX
	72:         nil,                      // PR_PPC_GET_DEXCR
	73:         nil,                      // PR_PPC_SET_DEXCR
	74:         out(1, 8),                // PR_GET_SHADOW_STACK_STATUS
	75:         nil,                      // PR_SET_SHADOW_STACK_STATUS
	76:         nil,                      // PR_LOCK_SHADOW_STACK_STATUS
	77:         nil,                      // PR_TIMER_CREATE_RESTORE_IDS
	78:         nil,                      // PR_FUTEX_HASH
	0x41555856: resultBytesMax(1, 2),     // PR_GET_AUXV: returns the full size
	0x53564d41: nil,                      // PR_SET_VMA
	0x59616d61: nil,                      // PR_SET_PTRACER
})

var (
	prSetSeccomp             = byArg("PR_SET_SECCOMP mode", 1, 0xffffffff, cases{2: nil}) // SECCOMP_MODE_FILTER (recorder/seccomp.go)
	prSetSyscallUserDispatch = refuse("PR_SET_SYSCALL_USER_DISPATCH is not supported: it conflicts with rewind's syscall interception")
	// Only PR_SET_MM_MAP_SIZE is safe: the others move brk, arg and env.
	prSetMM = byArg("prctl PR_SET_MM option", 1, 0xffffffff, cases{14: out(2, 4)})
	// PR_SCHED_CORE_GET stores the cookie through arg 5.
	prSchedCore = byArg("prctl PR_SCHED_CORE command", 1, 0xffffffff, cases{0: out(4, 8), 1: nil, 2: nil, 3: nil})
)

// archPrctl: the getters store an unsigned long through arg 2.
var archPrctlWrites = byArg("arch_prctl code", 0, 0xffffffff, cases{
	0x1001: nil,       // ARCH_SET_GS
	0x1002: nil,       // ARCH_SET_FS
	0x1003: out(1, 8), // ARCH_GET_FS
	0x1004: out(1, 8), // ARCH_GET_GS
	0x1011: nil,       // ARCH_GET_CPUID: returns it
	0x1012: nil,       // ARCH_SET_CPUID
	0x1021: out(1, 8), // ARCH_GET_XCOMP_SUPP
	0x1022: out(1, 8), // ARCH_GET_XCOMP_PERM
	0x1023: nil,       // ARCH_REQ_XCOMP_PERM
	0x1024: out(1, 8), // ARCH_GET_XCOMP_GUEST_PERM
	0x1025: nil,       // ARCH_REQ_XCOMP_GUEST_PERM
	0x2001: nil,       // ARCH_MAP_VDSO_X32
	0x2002: nil,       // ARCH_MAP_VDSO_32
	0x2003: nil,       // ARCH_MAP_VDSO_64
	0x4001: out(1, 8), // ARCH_GET_UNTAG_MASK
	0x4002: nil,       // ARCH_ENABLE_TAGGED_ADDR
	0x4003: out(1, 8), // ARCH_GET_MAX_TAG_BITS
	0x4004: nil,       // ARCH_FORCE_TAGGED_SVA
	0x5001: nil,       // ARCH_SHSTK_ENABLE
	0x5002: nil,       // ARCH_SHSTK_DISABLE
	0x5003: nil,       // ARCH_SHSTK_LOCK
	0x5004: nil,       // ARCH_SHSTK_UNLOCK
	0x5005: out(1, 8), // ARCH_SHSTK_STATUS
})

// The SysV IPC control calls; cmd may carry IPC_64 (0x100).
var (
	shmctlWrites = byArg("shmctl command", 1, 0xff, cases{
		0: nil, 1: nil, // IPC_RMID, IPC_SET
		2: out(2, sizeofShmidDs), 13: out(2, sizeofShmidDs), 15: out(2, sizeofShmidDs), // IPC_STAT, SHM_STAT, SHM_STAT_ANY
		3:  out(2, sizeofShminfo), // IPC_INFO
		14: out(2, sizeofShmInfo), // SHM_INFO
		11: nil, 12: nil,          // SHM_LOCK, SHM_UNLOCK
	})
	msgctlWrites = byArg("msgctl command", 1, 0xff, cases{
		0: nil, 1: nil,
		2: out(2, sizeofMsqidDs), 11: out(2, sizeofMsqidDs), 13: out(2, sizeofMsqidDs), // IPC_STAT, MSG_STAT, MSG_STAT_ANY
		3: out(2, sizeofMsginfo), 12: out(2, sizeofMsginfo), // IPC_INFO, MSG_INFO
	})
	// semctl's fourth argument is union semun, passed by value.
	semctlWrites = byArg("semctl command", 2, 0xff, cases{
		0: nil, 1: nil,
		2: out(3, sizeofSemidDs), 18: out(3, sizeofSemidDs), 20: out(3, sizeofSemidDs), // IPC_STAT, SEM_STAT, SEM_STAT_ANY
		3: out(3, sizeofSeminfo), 19: out(3, sizeofSeminfo), // IPC_INFO, SEM_INFO
		11: nil, 12: nil, 14: nil, 15: nil, 16: nil, 17: nil, // GETPID, GETVAL, GETNCNT, GETZCNT, SETVAL, SETALL
		13: refuse("semctl GETALL is not supported: the array size is not in the arguments"),
	})
)

var syslogWrites = byArg("syslog action", 0, 0xffffffff, cases{
	0: nil, 1: nil, 5: nil, 6: nil, 7: nil, 8: nil, 9: nil, 10: nil,
	2: resultBytes(1), 3: resultBytes(1), 4: resultBytes(1), // READ, READ_ALL, READ_CLEAR
})

var sysfsWrites = byArg("sysfs option", 0, 0xffffffff, cases{
	1: nil, 3: nil,
	2: cstring(2, 256), // filesystem type name
})

var keyctlWrites = byArg("keyctl operation", 0, 0xffffffff, cases{
	0: nil, 1: nil, 2: nil, 3: nil, 4: nil, 5: nil, 7: nil, 8: nil, 9: nil, 10: nil,
	12: nil, 13: nil, 14: nil, 15: nil, 16: nil, 18: nil, 19: nil, 20: nil, 21: nil, 22: nil,
	28: nil, 29: nil, 30: nil, 32: nil,
	6: keyctlBufWrites, 11: keyctlBufWrites, 17: keyctlBufWrites, // DESCRIBE, READ, GET_SECURITY
	23: ifNonZero(3, resultBytes(2)),                           // DH_COMPUTE
	24: out(4, sizeofKeyPkeyQuery),                             // PKEY_QUERY
	25: resultBytes(4), 26: resultBytes(4), 27: resultBytes(4), // PKEY_ENCRYPT, _DECRYPT, _SIGN
	31: resultBytesMax(1, 2), // CAPABILITIES
})

// seccompWrites: SECCOMP_SET_MODE_FILTER (1, installed rewritten by the
// recorder) and SECCOMP_GET_ACTION_AVAIL (2) write nothing,
// SECCOMP_GET_NOTIF_SIZES (3) three u16s.
var seccompWrites = byArg("seccomp operation", 0, 0xffffffff, cases{1: nil, 2: nil, 3: out(2, 6)})
