package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
)

// runCmd runs a file in the same sandbox the server uses, streaming output
// and forwarding this terminal's input; the exit code follows the program.
func runCmd(ctx context.Context, args []string, env envFunc, stdin io.Reader, stdout, stderr io.Writer) error {
	var lang string
	var timeout float64
	cfg, rest, err := loadConfig("run", args, env, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&lang, "lang", "", "language (default: from the file extension)")
		fs.Float64Var(&timeout, "timeout", 0, "wall-clock limit in seconds (default: the configured limit)")
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), "usage: runblock run [flags] FILE")
			fs.PrintDefaults()
		}
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "usage: runblock run [flags] FILE")
		return exitCode(2)
	}
	file := rest[0]
	code, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if lang == "" {
		d, ok := cfg.Languages.ByExtension(file)
		if !ok {
			return fmt.Errorf("can't tell the language of %s; pass --lang", file)
		}
		lang = d.Name
	}
	log := newLogger(cfg, stderr)
	rt, err := newRuntime(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc, err := newExecService(rt, cfg, log)
	if err != nil {
		return err
	}
	out, err := svc.Run(ctx, execute.Caller{UserID: "cli", Role: auth.RoleService}, execute.Request{Code: string(code), Language: lang, Timeout: timeout},
		execute.IO{Stdout: stdout, Stderr: stderr, Stdin: stdin})
	if err != nil {
		return err
	}
	res := out.Result
	if res.Truncated {
		fmt.Fprintf(stderr, "\n[runblock: output truncated at %d characters]\n", cfg.Limits.OutputChars)
	}
	if res.Status != sandbox.StatusSuccess && res.Status != sandbox.StatusError || res.Signal != "" {
		fmt.Fprintf(stderr, "[runblock: %s]\n", execute.FailureMessage(out))
	}
	switch {
	case res.Status == sandbox.StatusSuccess:
		return nil
	case res.ExitCode > 0:
		return exitCode(res.ExitCode)
	case res.Status == sandbox.StatusTimeout:
		return exitCode(124)
	}
	return exitCode(1)
}
