package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The placeholders of examples/vscode/launch.json.
const (
	exampleProgram = "${workspaceFolder}/a.out"
	exampleTrace   = "${env:HOME}/.local/share/rewind/latest-trace"
)

// roundTrip returns v as JSON decodes it into plain values.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVSCodeExample checks that examples/vscode/launch.json parses and is
// what "rewind vscode" prints, with placeholders for the program and the
// trace, plus the configuration that records with Delve.
func TestVSCodeExample(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "vscode", "launch.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want := vscodeLaunch(exampleTrace, exampleProgram, "${input:rewindPort}", true, true)
	if !reflect.DeepEqual(got, roundTrip(t, want)) {
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s differs from what rewind vscode generates; want:\n%s", path, w)
	}
}

// TestVSCodeLaunch checks the fields each extension needs, as
// docs/vscode.md documents them.
func TestVSCodeLaunch(t *testing.T) {
	l := roundTrip(t, vscodeLaunch("/t/prog-0", "/bin/prog", "4242", true, false)).(map[string]any)
	if l["version"] != "0.2.0" {
		t.Errorf("version %v", l["version"])
	}
	if _, ok := l["inputs"]; ok {
		t.Errorf("inputs with a port given: %v", l["inputs"])
	}
	byType := map[string]map[string]any{}
	for _, c := range l["configurations"].([]any) {
		m := c.(map[string]any)
		byType[m["type"].(string)] = m
	}
	for typ, want := range map[string]map[string]any{
		"cppdbg": {"request": "launch", "program": "/bin/prog", "MIMode": "gdb",
			"miDebuggerServerAddress": "127.0.0.1:4242", "useExtendedRemote": true},
		"lldb": {"request": "attach", "targetCreateCommands": []any{"target create /bin/prog"},
			"processCreateCommands": []any{"gdb-remote 127.0.0.1:4242"}, "reverseDebugging": true},
		"go": {"request": "launch", "mode": "replay", "traceDirPath": "/t/prog-0"},
	} {
		c := byType[typ]
		if c == nil {
			t.Errorf("no %s configuration", typ)
			continue
		}
		if !strings.HasPrefix(c["name"].(string), "rewind: ") {
			t.Errorf("%s configuration named %q", typ, c["name"])
		}
		for k, v := range want {
			if !reflect.DeepEqual(c[k], v) {
				t.Errorf("%s configuration: %s = %v, want %v", typ, k, c[k], v)
			}
		}
	}
	// No Go configuration for a program that is not Go; VS Code asks for
	// the port when none is given.
	l = roundTrip(t, vscodeLaunch("/t/prog-0", "/bin/prog", "${input:rewindPort}", false, false)).(map[string]any)
	if n := len(l["configurations"].([]any)); n != 2 {
		t.Errorf("%d configurations for a C program, want 2", n)
	}
	if in, _ := l["inputs"].([]any); len(in) != 1 || in[0].(map[string]any)["id"] != "rewindPort" {
		t.Errorf("inputs %v, want rewindPort", l["inputs"])
	}
}
