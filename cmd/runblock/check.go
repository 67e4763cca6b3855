package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
)

func checkCmd(ctx context.Context, args []string, env envFunc, stdout, stderr io.Writer) error {
	var asJSON bool
	cfg, _, err := loadConfig("check", args, env, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	})
	if err != nil {
		return err
	}
	// Probe with a weak-allowed runtime so the report can say what's missing
	// instead of failing on the first gap.
	cfg.Sandbox.AllowWeak = true
	rt, err := newRuntime(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer rt.Close()
	rep := rt.Check(ctx)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printReport(stdout, rep)
	}
	if !rep.Strong {
		return exitCode(1)
	}
	return nil
}
