// Package gdbserver serves a replay to debuggers over the GDB remote serial
// protocol (RSP): gdb, lldb and Delve (through its rr backend) connect to
// it the same way.
//
// The package knows nothing of ptrace or traces: it drives a Target
// (registers, memory, breakpoints, resume forwards or backwards, restart)
// that the replayer implements and tests fake. conn.go does the framing
// (checksums, acks, escapes, run-length encoding, interrupts, a bound on
// packet size, wire errors) and nothing else; server.go, resume.go,
// query.go and vfile.go give packets their meaning.
//
// Replay cannot change the past: G, M, X, QSaveRegisterState,
// qXfer:siginfo:write and resuming at another address are refused with an
// error (ErrWriteRefused). P is accepted when it writes the value the
// register already has, or orig_rax (gdb sets it to -1 with every pc
// write, and after vRun). lldb's _M (allocate memory) gets the empty
// "unsupported" reply: lldb then evaluates expressions itself. vKill
// answers OK and the session goes on, as gdb's "run" kills then vRuns.
//
// # Protocol facts and client quirks
//
// Register file. Registers are numbered in gdb's amd64-linux order, the
// order gdbserver and rr use: rax..gs 0-23, st0-7 24-31, fctrl..fop 32-39,
// xmm0-15 40-55, mxcsr 56, orig_rax 57, fs_base 58, gs_base 59, ymm0h-15h
// 60-75 (only when the recording CPU had AVX). The g reply, p, target.xml
// and qRegisterInfo all come from the one table in arch/gdbregs.go.
//
// target.xml holds only the architecture, the OS ABI and one xi:include per
// feature; each included document's root is <feature>. Delve's parser
// follows <xi:include> only without an xmlns declaration for xi, and only
// reads <reg> elements that are direct children of a document's root, so
// registers inside a <feature> inside target.xml would be lost on it.
// Delve computes register offsets in document order (ignoring regnum for
// offsets), so the include order must be the register-number order, and a
// g reply longer than the registers it found crashes it.
//
// gdb 13. Connects with target extended-remote; sends qSupported with
// multiprocess+, swbreak+, hwbreak+ and uses p<pid>.<tid> thread ids in
// hex; reads target.xml, qXfer:auxv, exec-file and libraries-svr4 and
// uses g, m, Z0/z0, vCont, bc/bs (with Hc first), qRcmd for "monitor".
// gdb numbers signals its own way (GDB_SIGNAL_*): SIGBUS is 10, SIGUSR1
// 30, SIGCHLD 20 ... Stop replies to gdb use that numbering.
// replaylog:begin and replaylog:end stop reasons make gdb print "No more
// reverse-execution history". qRcmd output goes in O packets, then OK.
// Error replies are Exx (gdb prints them as a failure of the command).
//
// lldb. Sends QStartNoAckMode, qSupported, QThreadSuffixSupported,
// QListThreadsInStopReply, qHostInfo, vCont?, qProcessInfo, qC, ?, reads
// target.xml (augmenting it with its own knowledge of x86-64 register
// numbers) and reads registers with p. After QThreadSuffixSupported it
// appends ";thread:<tid>;" to g and p (and G/P) instead of sending Hg.
// After QListThreadsInStopReply stop replies carry threads: and
// thread-pcs:. It expects x0,0 to answer OK when x is supported, and the
// x reply is raw binary (no 'b' prefix). It interprets signal numbers as
// Linux ones. k must be answered (X09) before the connection closes.
// QEnableErrorStrings makes error replies "Exx;<hex text>".
// replaylog:begin/end show as a "history boundary". lldb expects an
// error (E45, like lldb-server) after the last qRegisterInfo. On attach
// lldb plants a breakpoint at AT_ENTRY of the auxv; if the thread is
// stopped exactly there, lldb takes it as hit and continues by itself.
//
// Delve (rr backend). Sends QStartNoAckMode, then QThreadSuffixSupported
// (an E reply aborts it; OK makes it use thread suffixes and drop
// multiprocess, empty makes it use Hg and multiprocess), qSupported (it
// needs PacketSize and reads it as hex), qRegisterInfo0 (served: it then
// takes register offsets from it) or target.xml, QListThreadsInStopReply,
// x0,0, qfThreadInfo/qsThreadInfo, qThreadStopInfo, qProcessInfo,
// qXfer:auxv. With multiprocess it parses the pid of p<pid>.<tid> with
// strconv.Atoi (decimal) but the tid as hex; since it negotiates thread
// suffixes with this server it never uses multiprocess ids here. It
// treats signals as Linux numbers (SIGCHLD 17, SIGSTOP 19). It reverses
// with Hcp-1.-1 + bc and Hc<tid> + bs, restarts with vRun;;<hex cN>, and
// sends qRRCmd:<name>:-1[:<hex arg>] expecting hex text replies. A stop
// with signal 9 (rr's report of the end of the recording) means "exited,
// but you can still rewind". In replies that are not binary it treats
// '{' as an escape character, '*' as run-length encoding, and a ':' as the
// third character of the payload as a sequence-id marker: keep those out
// of text replies (feature documents are small enough to go in one
// reply of the 0xfff bytes it asks for). It decodes binary replies (x,
// qXfer auxv and exec-file) with '}' escapes only, so binary replies are
// never run-length encoded. It reads a reply starting with 'E' of length
// 3 as an error even for x, as lldb does.
//
// Signal numbering. Whether to use gdb's or Linux numbers is decided per
// session: a client that sends QThreadSuffixSupported (lldb, Delve) gets
// Linux numbers, others (gdb) gdb's. Target always uses Linux numbers.
//
// Stops. Breakpoint and watchpoint stops are SIGTRAP with swbreak:/hwbreak:
// (only when the client announced swbreak+/hwbreak+ in qSupported, as the
// protocol requires) or watch:/rwatch:/awatch:<addr>. Reaching the start
// while going backwards is T00 with replaylog:begin (as rr does); the end
// of the recording is T09 (SIGKILL, as rr reports it) with replaylog:end.
// An exit is W<status>, a death by signal X<sig>, both with ;process:<pid>
// in multiprocess mode.
//
// Interrupts. A 0x03 byte between packets while the target runs cancels
// the context given to Target.Resume; the stop the target then returns
// (SIGINT) is the reply. A 0x03 while the target is stopped is ignored,
// as gdbserver does.
//
// Framing. Incoming packets are checksummed, acked ('+') until no-ack
// mode, and decoded for '}' escapes and '*' run-length encoding over the
// whole packet (as lldb-server does; gdb and lldb escape '*' in binary
// data). A packet over the size limit is read and discarded without
// buffering it, and answered with an error.
package gdbserver
