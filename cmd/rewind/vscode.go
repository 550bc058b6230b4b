package main

// rewind vscode [--port N] [TRACE] prints a VS Code launch.json for
// debugging a recording: C/C++ (cpptools, gdb/MI over extended-remote),
// CodeLLDB (gdb-remote, with its reverse buttons) and, for a Go program,
// vscode-go (Delve's rr backend, which runs rewind as rr). The first two
// attach to "rewind replay -s N -k TRACE", which must be running; see
// docs/vscode.md. examples/vscode/launch.json is the same for no trace.

import (
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"rewind/trace"
)

// vscodeDefaultPort is the port the configurations suggest when VS Code
// asks for it (rr's documentation uses the same).
const vscodeDefaultPort = "50505"

// launchJSON is a VS Code launch.json.
type launchJSON struct {
	Version        string        `json:"version"`
	Configurations []any         `json:"configurations"`
	Inputs         []vscodeInput `json:"inputs,omitempty"`
}

// vscodeInput is a value VS Code asks for when a configuration uses
// ${input:ID}.
type vscodeInput struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Default     string `json:"default"`
}

// cppdbgConfig is Microsoft's C/C++ extension (cpptools) driving gdb/MI:
// gdb connects with -target-select extended-remote, and "launch" ends
// with -exec-run, which rewind takes as a restart from the beginning.
type cppdbgConfig struct {
	Name                    string         `json:"name"`
	Type                    string         `json:"type"`
	Request                 string         `json:"request"`
	Program                 string         `json:"program"`
	Cwd                     string         `json:"cwd"`
	MIMode                  string         `json:"MIMode"`
	MIDebuggerPath          string         `json:"miDebuggerPath"`
	MIDebuggerServerAddress string         `json:"miDebuggerServerAddress"`
	UseExtendedRemote       bool           `json:"useExtendedRemote"`
	StopAtEntry             bool           `json:"stopAtEntry"`
	SetupCommands           []setupCommand `json:"setupCommands"`
}

// setupCommand is one of cpptools' setupCommands: an MI command, or a gdb
// console command (which cpptools wraps in -interpreter-exec console).
type setupCommand struct {
	Description    string `json:"description"`
	Text           string `json:"text"`
	IgnoreFailures bool   `json:"ignoreFailures"`
}

// codelldbConfig is CodeLLDB attaching with gdb-remote. With
// reverseDebugging it shows reverse-continue and step-back buttons, which
// send the bc and bs packets.
type codelldbConfig struct {
	Name                  string   `json:"name"`
	Type                  string   `json:"type"`
	Request               string   `json:"request"`
	TargetCreateCommands  []string `json:"targetCreateCommands"`
	ProcessCreateCommands []string `json:"processCreateCommands"`
	ReverseDebugging      bool     `json:"reverseDebugging"`
}

// goConfig is vscode-go: Delve replays (mode replay) or records and
// replays (backend rr) through the rr on PATH.
type goConfig struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	Request      string `json:"request"`
	Mode         string `json:"mode"`
	TraceDirPath string `json:"traceDirPath,omitempty"`
	Program      string `json:"program,omitempty"`
	Backend      string `json:"backend,omitempty"`
}

// vscodeLaunch returns the configurations for debugging the recording of
// exe in traceDir on port (a ${input:...} reference or a number). goProg
// adds vscode-go's; without a trace (the example file) traceDir and exe
// are placeholders and the recording configuration is added too.
func vscodeLaunch(traceDir, exe, port string, goProg, example bool) launchJSON {
	addr := "127.0.0.1:" + port
	l := launchJSON{Version: "0.2.0"}
	l.Configurations = append(l.Configurations,
		cppdbgConfig{
			Name: "rewind: gdb (C/C++)", Type: "cppdbg", Request: "launch",
			Program: exe, Cwd: "${workspaceFolder}",
			MIMode: "gdb", MIDebuggerPath: "gdb",
			MIDebuggerServerAddress: addr, UseExtendedRemote: true,
			SetupCommands: []setupCommand{
				{Description: "pretty printing", Text: "-enable-pretty-printing", IgnoreFailures: true},
				// As rewind replay's own gdb: libraries from this
				// machine, not copied through the stub.
				{Description: "libraries from /", Text: "set sysroot /"},
			},
		},
		codelldbConfig{
			Name: "rewind: lldb (CodeLLDB)", Type: "lldb", Request: "attach",
			TargetCreateCommands:  []string{"target create " + exe},
			ProcessCreateCommands: []string{"gdb-remote " + addr},
			ReverseDebugging:      true,
		})
	if goProg {
		l.Configurations = append(l.Configurations, goConfig{
			Name: "rewind: Delve (Go)", Type: "go", Request: "launch",
			Mode: "replay", TraceDirPath: traceDir,
		})
	}
	if example {
		l.Configurations = append(l.Configurations, goConfig{
			Name: "rewind: record and debug with Delve (Go)", Type: "go", Request: "launch",
			Mode: "debug", Backend: "rr", Program: "${workspaceFolder}",
		})
	}
	if !isNumber(port) {
		l.Inputs = append(l.Inputs, vscodeInput{ID: "rewindPort", Type: "promptString",
			Description: "port of rewind replay -s PORT -k", Default: vscodeDefaultPort})
	}
	return l
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func cmdVSCode(args []string) error {
	fl := flag.NewFlagSet("vscode", flag.ContinueOnError)
	port := fl.Int("port", 0, "the `PORT` of \"rewind replay -s PORT -k TRACE\" (default: VS Code asks, suggesting "+vscodeDefaultPort+")")
	if err := fl.Parse(args); err != nil {
		return fail(exitFailed, nil)
	}
	dir, err := traceArg(fl)
	if err != nil {
		return fail(exitFailed, err)
	}
	// The recording itself, not latest-trace, which moves.
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return fail(exitFailed, err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	exe, err := traceProgram(dir)
	if err != nil {
		return fail(exitFailed, err)
	}
	p := "${input:rewindPort}"
	if *port > 0 {
		p = strconv.Itoa(*port)
	}
	b, err := json.MarshalIndent(vscodeLaunch(dir, exe, p, isGoProgram(exe), false), "", "  ")
	if err != nil {
		return err
	}
	fmt.Printf("%s\n", b)
	shown := p
	if *port == 0 {
		shown = vscodeDefaultPort
	}
	warnf("for .vscode/launch.json; the gdb and lldb configurations attach to \"rewind replay -s %s -k %s\", which must be running", shown, dir)
	return nil
}

// traceProgram returns the executable that debuggers should load for the
// recording in dir: the recorded path while it still holds the recorded
// program, else the trace's copy (as rewind replay -s names it).
func traceProgram(dir string) (string, error) {
	r, err := trace.Open(dir)
	if err != nil {
		return "", err
	}
	defer r.Close()
	f, err := r.Read()
	if err != nil {
		return "", err
	}
	if f.Kind != trace.KindExec {
		return "", fmt.Errorf("%s: the first event is %v, not the program's start", dir, f.Kind)
	}
	cp := r.File(f.ExeFile)
	if sameContent(f.Exe, cp) {
		return f.Exe, nil
	}
	return cp, nil
}

// sameContent says whether files a and b hold the same bytes.
func sameContent(a, b string) bool {
	da, err := os.ReadFile(a)
	if err != nil {
		return false
	}
	db, err := os.ReadFile(b)
	return err == nil && string(da) == string(db)
}

// isGoProgram says whether exe was built by Go (it has build information).
func isGoProgram(exe string) bool {
	f, err := elf.Open(exe)
	if err != nil {
		return false
	}
	defer f.Close()
	return f.Section(".go.buildinfo") != nil
}
