package gdbserver

import (
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"

	"rewind/arch"
)

const triple = "x86_64-pc-linux-gnu"

// query handles q packets.
func (ss *session) query(s string) error {
	name, args, _ := strings.Cut(s, ":")
	switch {
	case name == "qSupported":
		return ss.qSupported(args)
	case s == "qC":
		tid, err := ss.resolve(0)
		if err != nil {
			return ss.replyErr(err)
		}
		return ss.reply("QC" + ss.threadID(tid))
	case name == "qAttached":
		return ss.reply("1")
	case s == "qfThreadInfo":
		threads := ss.threads()
		if len(threads) == 0 {
			return ss.reply("l")
		}
		var b strings.Builder
		b.WriteByte('m')
		for i, tid := range threads {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(ss.threadID(tid))
		}
		return ss.reply(b.String())
	case s == "qsThreadInfo":
		return ss.reply("l")
	case strings.HasPrefix(s, "qThreadExtraInfo,"):
		tid, err := parseThreadID(s[len("qThreadExtraInfo,"):])
		if err == nil {
			tid, err = ss.resolve(tid)
		}
		if err != nil {
			return ss.replyErr(err)
		}
		return ss.reply(hexString(fmt.Sprintf("tid %d", tid)))
	case strings.HasPrefix(s, "qThreadStopInfo"):
		tid, err := parseThreadID(s[len("qThreadStopInfo"):])
		if err == nil {
			tid, err = ss.resolve(tid)
		}
		if err != nil {
			return ss.replyErr(err)
		}
		st := ss.srv.lastStop()
		if st.Kind.exit() {
			return ss.replyStop(st)
		}
		if st.Tid != tid {
			st = Stop{Kind: StopSignal, Tid: tid}
		}
		return ss.replyStop(st)
	case s == "qOffsets":
		// Empty: the client relocates from the auxv/link map itself.
		return ss.reply("")
	case name == "qSymbol":
		return ss.reply("OK")
	case name == "qXfer":
		return ss.xfer(args)
	case strings.HasPrefix(s, "qRcmd,"):
		return ss.rcmd(s[len("qRcmd,"):])
	case name == "qRRCmd":
		return ss.rrcmd(args)
	case s == "qHostInfo":
		return ss.reply(fmt.Sprintf("triple:%s;ptrsize:8;endian:little;ostype:linux;vendor:pc;"+
			"watchpoint_exceptions_received:after;", hexString(triple)))
	case s == "qProcessInfo" || strings.HasPrefix(s, "qProcessInfoPID:"):
		if len(ss.threads()) == 0 {
			return ss.replyErr(ErrExited)
		}
		r := fmt.Sprintf("pid:%x;triple:%s;ostype:linux;endian:little;ptrsize:8;", ss.t.Pid(), hexString(triple))
		if exe := ss.t.ExecFile(); exe != "" {
			r += "name:" + hexString(exe) + ";"
		}
		return ss.reply(r)
	case name == "qMemoryRegionInfo" && args != "":
		return ss.memoryRegion(args)
	case strings.HasPrefix(s, "qRegisterInfo"):
		n, err := strconv.ParseUint(s[len("qRegisterInfo"):], 16, 16)
		if err != nil {
			return ss.replyErr(malformed("%q", s))
		}
		info, ok := arch.LLDBRegisterInfo(int(n), ss.t.HasAVX())
		if !ok {
			return ss.reply("E45") // end of the list, as lldb-server says it
		}
		return ss.reply(info)
	}
	// Everything else (qTStatus, qShlibInfoAddr, qGetTLSAddr,
	// qWatchpointSupportInfo, ...) is not supported.
	return ss.reply("")
}

// qSupported records the client's features and lists ours.
func (ss *session) qSupported(args string) error {
	for _, f := range strings.Split(args, ";") {
		switch f {
		case "multiprocess+":
			ss.multiprocess = true
		case "swbreak+":
			ss.swbreak = true
		case "hwbreak+":
			ss.hwbreak = true
		}
	}
	feats := []string{
		fmt.Sprintf("PacketSize=%x", ss.c.MaxPacket()),
		"QStartNoAckMode+",
		"qXfer:features:read+",
		"qXfer:auxv:read+",
		"qXfer:exec-file:read+",
	}
	if _, err := ss.t.Libraries(); !errors.Is(err, ErrUnsupported) {
		feats = append(feats, "qXfer:libraries-svr4:read+")
	}
	feats = append(feats,
		"qXfer:siginfo:read+",
		"qXfer:threads:read+",
		"multiprocess+",
		"swbreak+",
		"hwbreak+",
		"ConditionalBreakpoints-",
		"vContSupported+",
		"QPassSignals+",
	)
	if ss.t.Reverse() {
		feats = append(feats, "ReverseContinue+", "ReverseStep+")
	}
	return ss.reply(strings.Join(feats, ";"))
}

// set handles Q packets.
func (ss *session) set(s string) error {
	name, args, _ := strings.Cut(s, ":")
	switch name {
	case "QStartNoAckMode":
		// Switch before replying: the client sends its next packet
		// without waiting for our ack once it has our OK.
		ss.c.SetNoAck()
		return ss.reply("OK")
	case "QThreadSuffixSupported":
		// Only lldb and Delve send this; both number signals as Linux.
		ss.threadSuffix = true
		ss.linuxSignals = true
		return ss.reply("OK")
	case "QListThreadsInStopReply":
		ss.listThreads = true
		return ss.reply("OK")
	case "QEnableErrorStrings":
		ss.errorStrings = true
		return ss.reply("OK")
	case "QPassSignals":
		pass := map[int]bool{}
		if args != "" {
			for _, f := range strings.Split(args, ";") {
				if f == "" { // gdb ends the list with ';'
					continue
				}
				n, err := strconv.ParseUint(f, 16, 8)
				if err != nil {
					return ss.replyErr(malformed("signal %q", f))
				}
				if sig := ss.clientSignal(int(n)); sig != 0 {
					pass[sig] = true
				}
			}
		}
		ss.passSignals = pass
		return ss.reply("OK")
	case "QProgramSignals", "QDisableRandomization", "QSetDisableASLR":
		return ss.reply("OK")
	case "QNonStop":
		if args == "0" {
			return ss.reply("OK")
		}
		return ss.replyErr(fmt.Errorf("non-stop mode: %w", ErrUnsupported))
	case "QSaveRegisterState", "QRestoreRegisterState":
		return ss.replyErr(ErrWriteRefused)
	}
	return ss.reply("")
}

// vPacket handles v packets.
func (ss *session) vPacket(s string) error {
	switch {
	case strings.HasPrefix(s, "vCont"):
		return ss.vCont(s)
	case strings.HasPrefix(s, "vFile:"):
		return ss.vFile(s[len("vFile:"):])
	case strings.HasPrefix(s, "vRun"):
		return ss.vRun(s)
	case s == "vKill" || strings.HasPrefix(s, "vKill;"):
		// extended-remote: gdb kills before "run" restarts (vRun), so the
		// session goes on; the replay itself cannot be changed by a kill,
		// but until a vRun succeeds the client sees no threads.
		ss.killed = true
		return ss.reply("OK")
	case s == "vCtrlC":
		return ss.reply("OK")
	case strings.HasPrefix(s, "vAttach"):
		return ss.replyErr(fmt.Errorf("attach: %w", ErrUnsupported))
	}
	// vMustReplyEmpty and anything unknown.
	return ss.reply("")
}

// vRun;<hex exe>[;<hex arg>]...: restart the replay. The executable is
// ignored (it is the recorded one); the arguments, joined by spaces, say
// where to (rr's forms: "" start, cN checkpoint, N event).
func (ss *session) vRun(s string) error {
	fields := strings.Split(s, ";")
	var args []string
	for i, f := range fields[1:] {
		b, err := decodeHex(f)
		if err != nil {
			return ss.replyErr(err)
		}
		if i > 0 && len(b) > 0 {
			args = append(args, string(b))
		}
	}
	st, err := ss.t.Restart(strings.Join(args, " "))
	if err == nil {
		ss.killed = false
	}
	if err != nil {
		return ss.replyErr(err)
	}
	st = ss.normalize(st)
	ss.srv.setStop(st)
	ss.gThread, ss.cThread = 0, 0
	return ss.replyStop(st)
}

// rcmd runs qRcmd,<hex command> ("monitor CMD") and sends the output as
// O packets followed by OK.
func (ss *session) rcmd(hexCmd string) error {
	cmd, err := decodeHex(hexCmd)
	if err != nil {
		return ss.replyErr(err)
	}
	out, err := ss.t.Monitor(strings.TrimSpace(string(cmd)))
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return ss.reply("")
		}
		out += fmt.Sprintf("error: %v\n", err)
	}
	chunk := ss.maxData(1)
	for b := []byte(out); len(b) > 0; {
		n := min(chunk, len(b))
		if err := ss.c.WritePacket(appendHex([]byte{'O'}, b[:n])); err != nil {
			return err
		}
		b = b[n:]
	}
	return ss.reply("OK")
}

// rrcmd runs rr's qRRCmd. New style (rr >= 5.8, Delve with thread
// suffixes): qRRCmd:<name>:<tid>[:<hex arg>]...; old style:
// qRRCmd:<hex name>[:<hex arg>]... The reply is the hex-encoded output.
func (ss *session) rrcmd(args string) error {
	fields := strings.Split(args, ":")
	if len(fields) == 0 || fields[0] == "" {
		return ss.replyErr(malformed("qRRCmd without a command"))
	}
	var words []string
	if len(fields) >= 2 && isThreadArg(fields[1]) && !isHexText(fields[0]) {
		words = append(words, fields[0])
		fields = fields[2:]
	} else {
		name, err := decodeHex(fields[0])
		if err != nil {
			// Not hex: a new-style name without a thread.
			name = []byte(fields[0])
		}
		words = append(words, string(name))
		fields = fields[1:]
	}
	for _, f := range fields {
		b, err := decodeHex(f)
		if err != nil {
			return ss.replyErr(err)
		}
		words = append(words, string(b))
	}
	out, err := ss.t.Monitor(strings.Join(words, " "))
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return ss.reply("")
		}
		return ss.replyErr(err)
	}
	return ss.reply(hexString(out))
}

func isThreadArg(s string) bool {
	_, err := parseThreadID(s)
	return err == nil
}

// isHexText says whether s is a hex encoding of printable text (an old
// style qRRCmd name).
func isHexText(s string) bool {
	b, err := decodeHex(s)
	if err != nil || len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

func (ss *session) memoryRegion(args string) error {
	addr, err := strconv.ParseUint(args, 16, 64)
	if err != nil {
		return ss.replyErr(malformed("address %q", args))
	}
	r, err := ss.t.MemoryRegion(addr)
	switch {
	case errors.Is(err, ErrUnsupported):
		return ss.reply("")
	case err != nil:
		return ss.replyErr(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "start:%x;size:%x;", r.Start, r.Size)
	if r.Mapped {
		b.WriteString("permissions:")
		if r.Read {
			b.WriteByte('r')
		}
		if r.Write {
			b.WriteByte('w')
		}
		if r.Exec {
			b.WriteByte('x')
		}
		b.WriteByte(';')
		if r.Name != "" {
			fmt.Fprintf(&b, "name:%s;", hexString(r.Name))
		}
	}
	return ss.reply(b.String())
}

// xfer handles qXfer:<object>:read:<annex>:<offset>,<length>.
func (ss *session) xfer(args string) error {
	parts := strings.SplitN(args, ":", 4)
	if len(parts) != 4 {
		return ss.replyErr(malformed("qXfer:%s", args))
	}
	object, op, annex, window := parts[0], parts[1], parts[2], parts[3]
	if op != "read" {
		if object == "siginfo" && op == "write" {
			return ss.replyErr(ErrWriteRefused)
		}
		return ss.reply("")
	}
	off, n, err := parseAddrLen(window)
	if err != nil {
		return ss.replyErr(err)
	}
	var data []byte
	switch object {
	case "features":
		var ok bool
		if data, ok = arch.GDBFeatureXML(annex, ss.t.HasAVX()); !ok {
			return ss.replyErr(fmt.Errorf("no feature document %q: %w", annex, ErrUnsupported))
		}
	case "auxv":
		data, err = ss.t.Auxv()
	case "exec-file":
		data = []byte(ss.t.ExecFile())
	case "libraries-svr4":
		data, err = ss.librariesXML()
	case "threads":
		data = ss.threadsXML()
	case "siginfo":
		data, err = ss.siginfo()
	default:
		return ss.reply("")
	}
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return ss.reply("")
		}
		return ss.replyErr(err)
	}
	if off >= uint64(len(data)) {
		return ss.reply("l")
	}
	if max := uint64(ss.maxData(1)); n > max {
		n = max
	}
	data = data[off:]
	mark := byte('l')
	if uint64(len(data)) > n {
		data, mark = data[:n], 'm'
	}
	return ss.c.WriteBinary(append([]byte{mark}, data...))
}

func (ss *session) librariesXML() ([]byte, error) {
	libs, err := ss.t.Libraries()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("<library-list-svr4 version=\"1.0\"")
	for _, l := range libs {
		if l.Name == "" {
			fmt.Fprintf(&b, " main-lm=\"%#x\"", l.LM)
			break
		}
	}
	b.WriteString(">")
	for _, l := range libs {
		if l.Name == "" {
			continue
		}
		fmt.Fprintf(&b, "<library name=\"%s\" lm=\"%#x\" l_addr=\"%#x\" l_ld=\"%#x\" lmid=\"%#x\"/>",
			html.EscapeString(l.Name), l.LM, l.Addr, l.LD, l.LMID)
	}
	b.WriteString("</library-list-svr4>")
	return []byte(b.String()), nil
}

func (ss *session) threadsXML() []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<threads>\n")
	for _, tid := range ss.threads() {
		fmt.Fprintf(&b, "<thread id=\"%s\" core=\"0\"/>\n", ss.threadID(tid))
	}
	b.WriteString("</threads>\n")
	return []byte(b.String())
}

// siginfoSize is sizeof(siginfo_t) on x86-64.
const siginfoSize = 128

func (ss *session) siginfo() ([]byte, error) {
	tid, err := ss.resolve(ss.gThread)
	if err != nil {
		return nil, err
	}
	if r, ok := ss.t.(SiginfoReader); ok {
		return r.Siginfo(tid)
	}
	return make([]byte, siginfoSize), nil
}
