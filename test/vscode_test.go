package test

// The VS Code configurations that "rewind vscode" prints (docs/vscode.md),
// replayed the way each extension drives its debugger, against
// "rewind replay -s PORT -k TRACE" of the demo:
//
//   - cpptools ("type": "cppdbg"): gdb/MI with the commands Microsoft's
//     MIEngine sends for a launch with miDebuggerServerAddress and
//     useExtendedRemote (src/MIDebugEngine/Engine.Impl/DebuggedProcess.cs,
//     GetInitializeCommands), then what the Run and Debug view and the
//     Debug Console ("-exec reverse-continue") send; the miSession helpers
//     of mi_test.go;
//   - CodeLLDB ("type": "lldb"): gdb-remote, then the packets its reverse
//     buttons send (src/codelldb/src/debug_session.rs: Hc, bc or bs, bs,
//     then stepi); runLLDB of lldb_test.go.
//
// The Go configuration runs Delve, which delve_test.go covers.

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// vscodeConfigs runs "rewind vscode --port PORT TRACE" and returns its
// configurations by type.
func vscodeConfigs(t *testing.T, trace, addr string) map[string]map[string]any {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	r := Run(t, "", nil, Rewind(t), "vscode", "--port", port, trace)
	if r.Code != 0 {
		t.Fatalf("rewind vscode --port %s %s: %s", port, trace, r)
	}
	var l struct {
		Configurations []map[string]any `json:"configurations"`
	}
	if err := json.Unmarshal(r.Stdout, &l); err != nil {
		t.Fatalf("rewind vscode printed no launch.json: %v\n%s", err, r)
	}
	byType := map[string]map[string]any{}
	for _, c := range l.Configurations {
		typ, _ := c["type"].(string)
		byType[typ] = c
	}
	return byType
}

// TestVSCodeCppdbg replays what cpptools sends to gdb for the documented
// cppdbg configuration: its setupCommands, MIEngine's launch commands
// (entry breakpoint on main, -target-select extended-remote, then -exec-run,
// which rewind takes as a restart), the user's breakpoint, and reverse
// execution from the Debug Console.
func TestVSCodeCppdbg(t *testing.T) {
	Require(t, "gdb")
	trace, _ := demoTrace(t)
	dep := sourceLine(t, "demo", "balance += amount;")
	srv := serveReplay(t, trace, "-k")
	cfg := vscodeConfigs(t, trace, srv.addr)["cppdbg"]
	if cfg == nil {
		t.Fatal("rewind vscode printed no cppdbg configuration")
	}
	program, _ := cfg["program"].(string)
	if want, _ := filepath.EvalSymlinks(srv.exe); program != srv.exe && program != want {
		t.Errorf("cppdbg program %q, want %q as rewind replay names it", program, srv.exe)
	}
	if cfg["useExtendedRemote"] != true || cfg["miDebuggerServerAddress"] != srv.addr || cfg["MIMode"] != "gdb" {
		t.Fatalf("cppdbg configuration %v, want gdb, extended-remote to %s", cfg, srv.addr)
	}

	s := startMI(t, program)
	defer func() {
		if t.Failed() {
			t.Logf("transcript:\n%s\n--- rewind:\n%s", s.transcript(), srv.log())
		}
	}()
	// console wraps a console command as cpptools does.
	console := func(cmd string) string { return "-interpreter-exec console " + strconv.Quote(cmd) }
	// setupCommands: MI commands as they are, others through the console.
	setup, _ := cfg["setupCommands"].([]any)
	for _, c := range setup {
		m, _ := c.(map[string]any)
		text, _ := m["text"].(string)
		if !strings.HasPrefix(text, "-") {
			text = console(text)
		}
		if r := s.send(text); r.class != "done" && m["ignoreFailures"] != true {
			t.Fatalf("setup command %q: %s", text, r.raw)
		}
	}
	// MIEngine's launch commands, in its order.
	s.must(console("set pagination off"), "done")
	s.send(console("set debuginfod enabled off")) // ignoreFailures
	s.must("-gdb-set auto-solib-add on", "done")
	s.must("-environment-cd "+t.TempDir(), "done") // "cwd"
	s.must("-file-exec-and-symbols "+program, "done")
	s.send(console("show architecture")) // ignoreFailures
	entry := miGet(s.send("-break-insert -f main").results, "bkpt", "number")
	s.must("-target-select extended-remote "+srv.addr, "connected")
	s.stopped("-target-select") // MIEngine ignores this stop of a gdbserver
	// The user's breakpoint (setBreakpoints), then configurationDone:
	// launchCompleteCommand exec-run.
	r := s.must(fmt.Sprintf("-break-insert -f %s:%d", filepath.Join(ProgramsDir(), "demo.c"), dep), "done")
	bp := miGet(r.results, "bkpt", "number")
	st := s.run("-exec-run")
	if miGet(st.results, "reason") != "breakpoint-hit" || miGet(st.results, "bkptno") != entry || miGet(st.results, "frame", "func") != "main" {
		t.Errorf("-exec-run: %s, want the entry breakpoint %s in main", st.raw, entry)
	}
	// stopAtEntry false: the entry breakpoint goes and the program runs on.
	s.must("-break-delete "+entry, "done")

	// hit checks a stop at the user's breakpoint in deposit(amount).
	hit := func(what string, st miRecord, amount string) {
		t.Helper()
		if miGet(st.results, "reason") != "breakpoint-hit" || miGet(st.results, "bkptno") != bp ||
			miGet(st.results, "frame", "func") != "deposit" || miGet(st.results, "frame", "line") != strconv.Itoa(dep) {
			t.Errorf("%s: %s, want breakpoint %s in deposit at line %d", what, st.raw, bp, dep)
		}
		// The Variables pane and the call stack.
		r := s.must("-stack-list-variables --simple-values", "done")
		if miGet(r.results, "variables", "0", "name") != "amount" || miGet(r.results, "variables", "0", "value") != amount {
			t.Errorf("%s: -stack-list-variables: %s, want amount = %s", what, r.raw, amount)
		}
		r = s.must("-stack-list-frames 0 1000", "done")
		if miGet(r.results, "stack", "0", "func") != "deposit" || miGet(r.results, "stack", "1", "func") != "main" {
			t.Errorf("%s: -stack-list-frames: %s, want deposit called from main", what, r.raw)
		}
	}
	eval := func(expr, want string) {
		t.Helper()
		if v := s.eval(expr); v != want {
			t.Errorf("%s = %q, want %s", expr, v, want)
		}
	}
	hit("-exec-continue from main", s.run("-exec-continue"), "10")
	eval("balance", "0")
	hit("second -exec-continue", s.run("-exec-continue"), "20")
	eval("balance", "10")
	hit("third -exec-continue", s.run("-exec-continue"), "30")
	eval("balance", "30")

	// Backwards: -exec-continue --reverse, and the Debug Console's
	// "-exec reverse-continue", which cpptools sends as a console command.
	hit("-exec-continue --reverse", s.run("-exec-continue --reverse"), "20")
	eval("balance", "10")
	hit("-exec reverse-continue", s.run(console("reverse-continue")), "10")
	eval("balance", "0")
	st = s.run("-exec-next")
	if miGet(st.results, "reason") != "end-stepping-range" || miGet(st.results, "frame", "line") != strconv.Itoa(dep+1) {
		t.Errorf("-exec-next: %s, want line %d", st.raw, dep+1)
	}
	eval("balance", "10")
	hit("-exec-continue after going back", s.run("-exec-continue"), "20")

	// Stop debugging.
	s.must("-gdb-exit", "exit")
}

// TestVSCodeCodeLLDB replays what CodeLLDB does for the documented lldb
// configuration: target create, gdb-remote, a breakpoint, and its reverse
// buttons, which send raw packets through "process plugin packet send"
// and then step forwards once to refresh lldb's view.
func TestVSCodeCodeLLDB(t *testing.T) {
	requireLLDB(t)
	trace, _ := demoTrace(t)
	dep := sourceLine(t, "demo", "balance += amount;")
	r := Run(t, "", nil, Rewind(t), "ps", trace)
	m := regexp.MustCompile(`(?m)^(\d+)\s`).FindStringSubmatch(string(r.Stdout))
	if m == nil {
		t.Fatalf("rewind ps %s: %s", trace, r)
	}
	pid, _ := strconv.Atoi(m[1])
	// The configuration, for the commands it gives lldb.
	cfg := vscodeConfigs(t, trace, "127.0.0.1:1")["lldb"]
	if cfg == nil || cfg["reverseDebugging"] != true || cfg["request"] != "attach" {
		t.Fatalf("lldb configuration %v, want an attach with reverseDebugging", cfg)
	}
	if pc, _ := cfg["processCreateCommands"].([]any); len(pc) != 1 || pc[0] != "gdb-remote 127.0.0.1:1" {
		t.Fatalf("lldb processCreateCommands %v, want gdb-remote 127.0.0.1:1", cfg["processCreateCommands"])
	}
	at := func(amount int) []string {
		return []string{fmt.Sprintf("demo`deposit\\(amount=%d\\) at demo\\.c:%d", amount, dep)}
	}
	stopReply := []string{`(?m)^response: T05`}
	// CodeLLDB's reverseContinue and stepBack (Hc, bc|bs, bs, stepi).
	reverse := func(packet string) []lldbStep {
		return []lldbStep{
			{cmd: fmt.Sprintf("process plugin packet send Hc%x", pid), want: []string{`(?m)^response: OK$`}},
			{cmd: "process plugin packet send " + packet, want: stopReply},
			{cmd: "process plugin packet send bs", want: stopReply},
			{cmd: "stepi"},
		}
	}
	var bpOffset int // of the breakpoint in deposit
	steps := []lldbStep{
		{cmd: fmt.Sprintf("breakpoint set -f demo.c -l %d", dep), want: []string{`Breakpoint 1: where = demo.deposit \+ \d+ `},
			check: func(t *testing.T, out string) {
				m := regexp.MustCompile("deposit \\+ (\\d+) ").FindStringSubmatch(out)
				if m != nil {
					bpOffset, _ = strconv.Atoi(m[1])
				}
			}},
		{cmd: "continue", want: at(10)},
		{cmd: "continue", want: at(20)},
		{cmd: "continue", want: at(30)},
		{cmd: "frame variable amount", want: []string{`(?m)^\(int\) amount = 30$`}},
	}
	// Reverse-continue: back to the previous hit, amount 20.
	steps = append(steps, reverse("bc")...)
	// rip checks that pc is in deposit, at the breakpoint or not.
	rip := func(atBreakpoint bool) lldbStep {
		return lldbStep{cmd: "register read rip", want: []string{"rip = 0x[0-9a-f]+ demo`deposit \\+ \\d+ "},
			check: func(t *testing.T, out string) {
				if at := strings.Contains(out, fmt.Sprintf("deposit + %d ", bpOffset)); at != atBreakpoint {
					t.Errorf("register read rip: %q; want at the breakpoint (deposit + %d): %v", out, bpOffset, atBreakpoint)
				}
			}}
	}
	steps = append(steps,
		lldbStep{cmd: "frame variable amount", want: []string{`(?m)^\(int\) amount = 20$`}},
		lldbStep{cmd: "p balance", want: []string{`(?m)^\(int\) 10$`}},
		rip(true))
	// Step back: one instruction back, before the breakpoint of the same
	// call, which a continue then reaches again.
	steps = append(steps, reverse("bs")...)
	steps = append(steps, rip(false),
		lldbStep{cmd: "continue", want: at(20)},
		lldbStep{cmd: "p balance", want: []string{`(?m)^\(int\) 10$`}},
		lldbStep{cmd: "continue", want: at(30)},
		lldbStep{cmd: "p balance", want: []string{`(?m)^\(int\) 30$`}})
	runLLDB(t, trace, false, steps)
}
