package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/trace"
)

// psProcess is one recorded process, a row of rewind ps.
type psProcess struct {
	pid, ppid int32    // recorded ids; ppid 0 for the first process
	exit      string   // "0", "-9" (killed by signal 9), "none" (no end recorded)
	args      []string // argv of its last exec, else its parent's
	execs     bool     // it exec'd (the first process did, at event 0)
}

// cmdPs prints the table of rr ps: PID, PPID, EXIT, CMD.
func cmdPs(args []string) error {
	r, err := openTrace("ps", args)
	if err != nil {
		return err
	}
	defer r.Close()
	procs, err := processTable(r)
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "PID\tPPID\tEXIT\tCMD")
	for _, p := range procs {
		ppid := "--"
		if p.ppid != 0 {
			ppid = fmt.Sprint(p.ppid)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", p.pid, ppid, p.exit, strings.Join(p.args, " "))
	}
	w.Flush()
	return err
}

// processTable lists the processes of a recording in the order they were
// created. On a damaged trace it returns the ones read, with the error.
//
// The trace says which thread made each clone, fork or vfork and the new
// thread's id, not always whether that is a new process: clone's flags are
// in its registers, but clone3's are in the caller's memory. A clone3
// child is taken for a thread when its first frame shows another TLS base
// than its creator had (fs_base: every thread library gives threads their
// own, CLONE_SETTLS; a process copy keeps its parent's).
func processTable(r *trace.Reader) ([]*psProcess, error) {
	var procs []*psProcess
	byPid := map[int32]*psProcess{}
	tgid := map[int32]int32{} // every thread seen → its process
	type clone3 struct {
		parent int32  // creating thread
		fs     uint64 // its TLS base then
	}
	undecided := map[int32]clone3{} // clone3 children not seen yet
	newProcess := func(pid, parentTid int32) {
		parent := byPid[tgid[parentTid]]
		p := &psProcess{pid: pid, exit: "none"}
		if parent != nil {
			p.ppid, p.args = parent.pid, parent.args
		}
		procs = append(procs, p)
		byPid[pid], tgid[pid] = p, pid
	}
	err := eachFrame(r, func(n int64, f *trace.Frame) {
		if c, ok := undecided[f.Tid]; ok && f.Kind != trace.KindBuffered { // buffered frames have no registers
			delete(undecided, f.Tid)
			if f.Regs.Fs_base != c.fs {
				tgid[f.Tid] = tgid[c.parent]
			} else {
				newProcess(f.Tid, c.parent)
			}
		}
		switch {
		case f.Kind == trace.KindExec:
			if n == 0 {
				newProcess(f.Tid, 0)
			}
			if p := byPid[tgid[f.Tid]]; p != nil {
				p.args, p.execs = execArgs(f), true
			}
		case f.Kind == trace.KindExit && f.Flags&trace.FlagThread == 0:
			if p := byPid[tgid[f.Tid]]; p != nil {
				ws := unix.WaitStatus(f.Status)
				p.exit = fmt.Sprint(ws.ExitStatus())
				if ws.Signaled() {
					p.exit = fmt.Sprint(-int(ws.Signal()))
				}
			}
		case (f.Kind == trace.KindSyscall || f.Kind == trace.KindEnter) && arch.IsClone(f.Nr) && f.Result > 0:
			child := int32(f.Result)
			_, seen := tgid[child]
			_, pending := undecided[child]
			if seen || pending {
				return // a vfork's enter frame named it already
			}
			flags := f.Regs.Rdi // clone's
			switch {
			case f.Nr == unix.SYS_CLONE3:
				undecided[child] = clone3{f.Tid, f.Regs.Fs_base}
			case f.Nr == unix.SYS_CLONE && flags&unix.CLONE_THREAD != 0:
				tgid[child] = tgid[f.Tid]
			default:
				newProcess(child, f.Tid)
				if creator := byPid[tgid[f.Tid]]; f.Nr == unix.SYS_CLONE && flags&unix.CLONE_PARENT != 0 && creator != nil {
					byPid[child].ppid = creator.ppid // a sibling of its creator
				}
			}
		}
	})
	return procs, err
}

// execArgs reads argv from an exec frame's initial stack (argc at the
// stack pointer, then the argv pointers); the program's path if it cannot.
func execArgs(f *trace.Frame) []string {
	word := func(addr uint64) (uint64, bool) {
		for _, w := range f.Mem {
			if addr >= w.Addr && addr+8 <= w.Addr+uint64(len(w.Data)) {
				return binary.LittleEndian.Uint64(w.Data[addr-w.Addr:]), true
			}
		}
		return 0, false
	}
	str := func(addr uint64) (string, bool) {
		for _, w := range f.Mem {
			if addr >= w.Addr && addr < w.Addr+uint64(len(w.Data)) {
				b := w.Data[addr-w.Addr:]
				if i := bytes.IndexByte(b, 0); i >= 0 {
					return string(b[:i]), true
				}
			}
		}
		return "", false
	}
	argc, ok := word(f.Regs.Rsp)
	if !ok || argc == 0 || argc > 1<<16 {
		return []string{f.Exe}
	}
	var args []string
	for i := uint64(0); i < argc; i++ {
		p, ok := word(f.Regs.Rsp + 8 + 8*i)
		if !ok {
			return []string{f.Exe}
		}
		a, ok := str(p)
		if !ok {
			return []string{f.Exe}
		}
		args = append(args, a)
	}
	return args
}

// findProcess returns the recorded process pid, or an error listing the
// recorded ones.
func findProcess(dir string, pid int32) (*psProcess, error) {
	r, err := trace.Open(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	procs, err := processTable(r)
	if i := slices.IndexFunc(procs, func(p *psProcess) bool { return p.pid == pid }); i >= 0 {
		return procs[i], nil
	}
	if err != nil {
		return nil, err
	}
	pids := make([]string, len(procs))
	for i, p := range procs {
		pids[i] = fmt.Sprint(p.pid)
	}
	return nil, fmt.Errorf("the recording has no process %d; its processes are %s (rewind ps)", pid, strings.Join(pids, ", "))
}
