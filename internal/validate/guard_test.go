package validate

import (
	"bytes"
	"os/exec"
	"testing"
)

func TestGuardScriptCarriesThePolicy(t *testing.T) {
	p := DefaultPolicies()[PolicyStrict]
	script, err := p.GuardScript()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(script, guardMarker) {
		t.Fatal("the policy line was not replaced")
	}
	// The script, run as Python, must read back the lists it was given
	// (it is compiled only: nothing learner-written runs here).
	probe := string(script) + "\nif __name__ == '__main__': pass\n"
	cmd := exec.Command("/usr/bin/python3", "-I", "-S", "-c",
		"import sys; ns = {'__name__': 'probe', '__file__': 'g.py'}; exec(compile(sys.stdin.read(), 'g.py', 'exec'), ns); p = ns['POLICY']; "+
			"print(p['name'], p['denied_imports'][0], p['allow_all_imports'], 'eval' in p['denied_calls'], p['flag_dunder_escapes'])")
	cmd.Stdin = bytes.NewReader([]byte(probe))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v: %s", err, out)
	}
	if got, want := string(out), "strict os False True True\n"; got != want {
		t.Fatalf("policy read back as %q, want %q", got, want)
	}
}

func TestGuardOnlyForPoliciesThatDeny(t *testing.T) {
	for _, c := range []struct {
		p    Policy
		want bool
	}{
		{DefaultPolicies()[PolicyStrict], true},
		{DefaultPolicies()[PolicyTeaching], true},
		// open() allowed but files confined: the guard checks the paths
		{Policy{Name: "confined", AllowAllImports: true, ConfineFiles: true}, true},
		{DefaultPolicies()[PolicySandboxOnly], false},
		{Policy{Name: "open", AllowAllImports: true}, false},
		{Policy{Name: "no-os", AllowAllImports: true, DeniedImports: []string{"os"}}, true},
		{Policy{Name: "no-eval", AllowAllImports: true, DeniedCalls: []string{"eval"}}, true},
	} {
		script, err := c.p.GuardScript()
		if err != nil || (script != nil) != c.want || c.p.Guards() != c.want {
			t.Errorf("%s: script %v (err %v), Guards %v; want guard %v", c.p.Name, script != nil, err, c.p.Guards(), c.want)
		}
	}
}

func TestGuardIsCompiledOnce(t *testing.T) {
	v := newHostValidator(t, Options{})
	name, pyc, err := v.Guard("")
	if err != nil || name != GuardFileName+"c" || len(pyc) < 16 {
		t.Fatalf("Guard = %q, %d bytes, %v; want a .pyc", name, len(pyc), err)
	}
	// The magic number says which interpreter may load it.
	out, err := exec.Command("/usr/bin/python3", "-I", "-S", "-c", "import importlib.util, sys; sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER)").Output()
	if err != nil || !bytes.HasPrefix(pyc, out) {
		t.Fatalf("pyc starts %x, want the interpreter's magic %x (%v)", pyc[:4], out, err)
	}
	name2, pyc2, _ := v.Guard(PolicyTeaching)
	if name2 != name || &pyc2[0] != &pyc[0] {
		t.Error("the guard was compiled again")
	}
	// Each policy has its own guard, its lists compiled in.
	name3, pyc3, err := v.Guard(PolicyStrict)
	if err != nil || name3 != name || bytes.Equal(pyc3, pyc) {
		t.Errorf("strict: guard %q, %v; want its own .pyc", name3, err)
	}
	if name, _, err := v.Guard("sandbox-only"); err != nil || name != "" {
		t.Errorf("sandbox-only: guard %q, %v; want none", name, err)
	}
	if _, _, err := v.Guard("nope"); err == nil {
		t.Error("unknown policy: no error")
	}
}
