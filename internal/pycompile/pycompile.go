// Package pycompile compiles runblock's own Python (the policy guard, the
// checker, the exercise harness, the figure lib; never a learner's code)
// with the sandbox's interpreter, once, outside the sandbox: loading a
// .pyc there costs much less than compiling the source at every start,
// and the sandbox can't keep a cache of its own.
package pycompile

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"
)

// Script compiles src into a .pyc for python, as if it were the file
// name, to be run as a script (`python3 x.pyc`, which checks no source).
func Script(python, name string, src []byte) ([]byte, error) {
	out, err := run(python, bytes.NewReader(src),
		"import sys, importlib._bootstrap_external as b\n"+
			"code = compile(sys.stdin.buffer.read(), sys.argv[1], 'exec', dont_inherit=True)\n"+
			"sys.stdout.buffer.write(b._code_to_timestamp_pyc(code))", name)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	return out, nil
}

// Cache writes the modules' .pyc files into their __pycache__ for python:
// unchecked hash-based, so an import neither stats the source nor
// compares mtimes. Only for directories that never change once written.
func Cache(python string, files ...string) error {
	_, err := run(python, nil,
		"import sys, py_compile as c\n"+
			"for f in sys.argv[1:]:\n"+
			"    c.compile(f, doraise=True, invalidation_mode=c.PycInvalidationMode.UNCHECKED_HASH)", files...)
	return err
}

// run runs script in python (isolated, without site or environment) and
// returns its stdout.
func run(python string, stdin *bytes.Reader, script string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{"-I", "-S", "-c", script}, args...)...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pycompile with %s: %w", python, err)
	}
	return out, nil
}
