package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestParseRR checks the rr command lines rewind accepts: exactly what
// Delve's rr backend runs (pkg/proc/gdbserial/rr.go), in both of rr's
// option spellings.
func TestParseRR(t *testing.T) {
	base := rrCommand{traceFD: -1, port: -1}
	with := func(f func(c *rrCommand)) rrCommand {
		c := base
		f(&c)
		return c
	}
	for _, tc := range []struct {
		args []string
		want rrCommand
	}{
		{[]string{"--version"}, with(func(c *rrCommand) { c.verb = "version" })},
		{[]string{"--help"}, with(func(c *rrCommand) { c.verb = "help" })},
		// Delve: rr record --print-trace-dir=3 [$DELVE_RR_RECORD_FLAGS] PROG ARGS...
		{[]string{"record", "--print-trace-dir=3", "/bin/prog", "-x", "--", "arg"},
			with(func(c *rrCommand) { c.verb, c.traceFD, c.prog = "record", 3, []string{"/bin/prog", "-x", "--", "arg"} })},
		{[]string{"record", "--print-trace-dir", "4", "--", "-prog"},
			with(func(c *rrCommand) { c.verb, c.traceFD, c.prog = "record", 4, []string{"-prog"} })},
		{[]string{"record", "-p", "5", "prog"},
			with(func(c *rrCommand) { c.verb, c.traceFD, c.prog = "record", 5, []string{"prog"} })},
		{[]string{"record", "prog"}, with(func(c *rrCommand) { c.verb, c.prog = "record", []string{"prog"} })},
		// Delve: rr replay --dbgport=0 [--onprocess=PID] [$DELVE_RR_REPLAY_FLAGS] TRACE
		{[]string{"replay", "--dbgport=0", "/t/prog-0"},
			with(func(c *rrCommand) { c.verb, c.port, c.trace = "replay", 0, "/t/prog-0" })},
		{[]string{"replay", "--dbgport=0", "--onprocess=1234", "/t/prog-0"},
			with(func(c *rrCommand) { c.verb, c.port, c.onProcess, c.trace = "replay", 0, 1234, "/t/prog-0" })},
		{[]string{"replay", "-s", "50505", "-k", "-p", "77"},
			with(func(c *rrCommand) { c.verb, c.port, c.keep, c.onProcess = "replay", 50505, true, 77 })},
		{[]string{"replay", "--keep-listening", "--dbgport", "1", "--", "-trace"},
			with(func(c *rrCommand) { c.verb, c.port, c.keep, c.trace = "replay", 1, true, "-trace" })},
	} {
		got, err := parseRR(tc.args)
		if err != nil {
			t.Errorf("parseRR(%q): %v", tc.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseRR(%q) = %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

// TestParseRRRefuses checks that anything else is refused with exit code
// 125 and a message naming what is not supported.
func TestParseRRRefuses(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{nil, "no command"},
		{[]string{"ps"}, `"ps"`},
		{[]string{"-M", "replay"}, `"-M"`},
		{[]string{"--version", "x"}, `"x"`},
		{[]string{"record"}, "no program"},
		{[]string{"record", "-n", "prog"}, `"-n"`},
		{[]string{"record", "--chaos", "prog"}, `"--chaos"`},
		{[]string{"record", "--print-trace-dir=x", "prog"}, "not a number"},
		{[]string{"record", "--print-trace-dir"}, "needs a value"},
		{[]string{"replay", "/t"}, "--dbgport"},
		{[]string{"replay", "--dbgport=0", "-a", "/t"}, `"-a"`},
		{[]string{"replay", "--dbgport=0", "--onprocess=prog", "/t"}, "process id"},
		{[]string{"replay", "--dbgport=0", "/t", "/u"}, "more than one trace"},
		{[]string{"replay", "--dbgport=-1", "/t"}, "not a number"},
	} {
		_, err := parseRR(tc.args)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitFailed {
			t.Errorf("parseRR(%q) = %v, want an error with exit code %d", tc.args, err, exitFailed)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.mention) || !strings.Contains(msg, "rr replay --dbgport=PORT") {
			t.Errorf("parseRR(%q): %q, want it to mention %s and list what is supported", tc.args, msg, tc.mention)
		}
	}
}

// TestRRVersion checks that "rr --version" parses as Delve's
// getRRVersion parses it (three numbers, nothing after the patch) and
// selects the qRRCmd syntax of rr >= 5.8.0, which rewind's stub speaks.
func TestRRVersion(t *testing.T) {
	var v [3]int
	fields := strings.Split(rrVersion, ".")
	if len(fields) != 3 {
		t.Fatalf("rrVersion %q: want X.Y.Z", rrVersion)
	}
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("rrVersion %q: %v", rrVersion, err)
		}
		v[i] = n
	}
	if v[0] < 5 || (v[0] == 5 && v[1] < 8) {
		t.Errorf("rrVersion %s: Delve uses the qRRCmd syntax rewind speaks from 5.8.0 on", rrVersion)
	}
}

// TestInstallRRLink checks that install-rr-link makes the link, replaces
// its own link, and refuses to replace anything else.
func TestInstallRRLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "rr")
	if err := cmdInstallRRLink([]string{dir}); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if !sameFile(link, exe) {
		t.Errorf("%s does not lead to %s", link, exe)
	}
	// The test binary is not named rewind: make the link look like one
	// an earlier install made, which a new install replaces.
	os.Remove(link)
	if err := os.Symlink("/nowhere/bin/rewind", link); err != nil {
		t.Fatal(err)
	}
	if err := cmdInstallRRLink([]string{dir}); err != nil {
		t.Errorf("replacing an old link to rewind: %v", err)
	}
	if !sameFile(link, exe) {
		t.Errorf("%s does not lead to %s after reinstalling", link, exe)
	}
	// A real rr stays.
	os.Remove(link)
	if err := os.WriteFile(link, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := cmdInstallRRLink([]string{dir}); err == nil || !strings.Contains(err.Error(), "not replacing") {
		t.Errorf("install over a real rr: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(link); string(b) != "#!/bin/sh\n" {
		t.Errorf("the real rr was changed: %q", b)
	}
}
