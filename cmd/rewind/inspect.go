package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"syscall"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"rewind/arch"
	"rewind/preload"
	"rewind/recorder"
	"rewind/trace"
	"rewind/tracee"
)

func openTrace(name string, args []string) (*trace.Reader, error) {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	if err := fl.Parse(args); err != nil {
		return nil, fail(exitFailed, nil)
	}
	dir, err := traceArg(fl)
	if err != nil {
		return nil, err
	}
	return trace.Open(dir)
}

// eachFrame calls fn for every frame; a damaged trace is an error after
// the frames that could be read.
func eachFrame(r *trace.Reader, fn func(n int64, f *trace.Frame)) error {
	for {
		n := r.Next
		f, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(n, f)
	}
}

func cmdInfo(args []string) error {
	r, err := openTrace("info", args)
	if err != nil {
		return err
	}
	defer r.Close()
	h := r.Header
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 1, ' ', 0)
	fmt.Fprintf(w, "trace:\t%s\n", r.Dir)
	fmt.Fprintf(w, "format:\tversion %d, written by rewind %s\n", h.FormatVersion, h.RewindVersion)
	fmt.Fprintf(w, "recorded:\t%s\n", h.Created.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "mode:\t%s\n", h.Mode)
	fmt.Fprintf(w, "kernel:\t%s\n", h.Kernel)
	fmt.Fprintf(w, "cpu:\t%s (%s family %d model %d stepping %d)\n", h.CPU.Brand, h.CPU.Vendor, h.CPU.Family, h.CPU.Model, h.CPU.Stepping)
	fmt.Fprintf(w, "cpuid:\t%s\n", map[bool]string{true: "trapped and recorded", false: "not trapped (replay expects the same CPU)"}[h.CPUIDTrapped])
	fmt.Fprintf(w, "exe:\t%s\n", h.Exe)
	fmt.Fprintf(w, "args:\t%q\n", h.Args)
	fmt.Fprintf(w, "cwd:\t%s\n", h.Cwd)
	fmt.Fprintf(w, "env:\t%d variables\n", len(h.Env))
	var frames int64
	var end string
	err = eachFrame(r, func(n int64, f *trace.Frame) {
		frames++
		if f.Kind == trace.KindExit {
			end = tracee.Describe(unix.WaitStatus(f.Status))
		}
	})
	fmt.Fprintf(w, "events:\t%d\n", frames)
	if end != "" {
		fmt.Fprintf(w, "end:\tprogram %s\n", end)
	}
	if trace.Incomplete(r.Dir) {
		fmt.Fprintf(w, "status:\tINCOMPLETE (the recorder did not finish)\n")
	} else {
		fmt.Fprintf(w, "status:\tcomplete\n")
	}
	w.Flush()
	return err
}

func cmdDump(args []string) error {
	r, err := openTrace("dump", args)
	if err != nil {
		return err
	}
	defer r.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	return eachFrame(r, func(n int64, f *trace.Frame) {
		fmt.Fprintf(out, "%6d %-7v tid %d ", n, f.Kind, f.Tid)
		switch f.Kind {
		case trace.KindExec:
			fmt.Fprintf(out, "%s (copy %s) rip=%#x rsp=%#x stack %d bytes", f.Exe, f.ExeFile, f.Regs.Rip, f.Regs.Rsp, memBytes(f))
			if f.CPU >= 0 {
				fmt.Fprintf(out, " cpu %d", f.CPU)
			}
			if f.Flags&trace.FlagPreloaded != 0 {
				fmt.Fprint(out, " (syscall buffer loaded)")
			}
		case trace.KindSyscall:
			r := &f.Regs
			fmt.Fprintf(out, "%s(%#x, %#x, %#x, %#x, %#x, %#x) = %s", arch.SyscallName(f.Nr), r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9, result(f.Result))
			if len(f.Mem) > 0 {
				fmt.Fprintf(out, " wrote %d bytes in %d ranges", memBytes(f), len(f.Mem))
			}
			if f.Map != nil {
				fmt.Fprintf(out, " maps %s at offset %#x", f.Map.Path, f.Map.Offset)
			}
			if f.Flags&trace.FlagRestart != 0 {
				fmt.Fprint(out, " (deferred: re-run after the signal)")
			}
			if f.Flags&trace.FlagDisabled != 0 {
				fmt.Fprint(out, " (disabled by rewind)")
			}
			if f.Flags&trace.FlagPatched != 0 {
				fmt.Fprint(out, " (its syscalls patched for the buffer)")
			}
		case trace.KindSignal:
			how := "at a syscall exit"
			if f.Flags&trace.FlagSyncSignal != 0 {
				how = "from the instruction"
			}
			fmt.Fprintf(out, "%v %s, rip=%#x", syscall.Signal(f.Signo), how, f.Regs.Rip)
		case trace.KindInsn:
			fmt.Fprintf(out, "rip=%#x rax=%#x rdx=%#x rcx=%#x", f.Regs.Rip, f.After.Rax, f.After.Rdx, f.After.Rcx)
		case trace.KindExit:
			if f.Flags&trace.FlagThread != 0 {
				fmt.Fprint(out, "thread ended")
				if len(f.Mem) > 0 {
					fmt.Fprintf(out, ", %d robust futexes marked", len(f.Mem))
				}
			} else {
				fmt.Fprintf(out, "program %s", tracee.Describe(unix.WaitStatus(f.Status)))
			}
		case trace.KindEnter:
			fmt.Fprintf(out, "%s entered; other threads run while it waits", arch.SyscallName(f.Nr))
			if f.Result != 0 {
				fmt.Fprintf(out, " (new thread %d)", f.Result)
			}
		case trace.KindPreempt:
			fmt.Fprintf(out, "preempted at rip=%#x, memory %x…", f.Regs.Rip, f.Digest[:min(len(f.Digest), 6)])
		case trace.KindBuffered:
			dumpBuffered(out, f)
		}
		fmt.Fprintln(out)
	})
}

// dumpBuffered lists the calls in a buffered frame, one line each.
func dumpBuffered(out io.Writer, f *trace.Frame) {
	var recs []preload.Record
	if len(f.Mem) == 2 {
		recs = preload.Records(f.Mem[1].Data)
	}
	fmt.Fprintf(out, "%d calls through the syscall buffer", len(recs))
	for _, r := range recs {
		if r.Nr == preload.MarkerTraced {
			fmt.Fprint(out, "\n         then a traced call")
			continue
		}
		if r.Nr == preload.RecRDTSC {
			fmt.Fprintf(out, "\n         rdtsc = %#x", uint64(r.Ret))
			continue
		}
		fmt.Fprintf(out, "\n         %s = %s", arch.SyscallName(uint64(r.Nr)), result(r.Ret))
		if preload.IsFileMap(r) {
			fmt.Fprintf(out, " maps the copy %s", preload.FileMapName(r.Data))
		} else if len(r.Data) > 0 {
			fmt.Fprintf(out, " wrote %d bytes", len(r.Data))
		}
	}
}

func memBytes(f *trace.Frame) int {
	n := 0
	for _, w := range f.Mem {
		n += len(w.Data)
	}
	return n
}

func result(r int64) string {
	if r < 0 && r > -4096 {
		return fmt.Sprintf("-%v", syscall.Errno(-r))
	}
	if r > 0xffff {
		return fmt.Sprintf("%#x", r)
	}
	return fmt.Sprint(r)
}

func cmdDoctor(args []string) error {
	if len(args) > 0 {
		return fail(exitFailed, fmt.Errorf("doctor takes no arguments"))
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "FEATURE\tSTATUS\tREWIND WILL USE")
	for _, f := range recorder.Probe() {
		status := "yes"
		if f.Err != nil {
			status = "no: " + f.Err.Error()
		}
		if f.Name == "perf_event_paranoid" {
			status = f.Detail
			if f.Err != nil {
				status += " (" + f.Err.Error() + ")"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", f.Name, status, f.Use)
	}
	return w.Flush()
}
