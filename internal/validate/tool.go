package validate

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

// tool checks syntax with the language's own checker (gcc -fsyntax-only,
// node --check, tsc --noEmit...); there are no policy checks for these
// languages (see Policy). A checker that exits 0 found nothing; one that
// exits otherwise must have named an error in the checked file, or it is
// the checker failing rather than the code.
func (v *Validator) tool(ctx context.Context, req Request, policy Policy, d lang.Descriptor) (Result, error) {
	chk := d.Check
	file := chk.CheckFile(d)
	run := sandbox.Language{Name: d.Name + "-validate", FileName: file, Run: chk.Argv, Env: d.Env, ReadOnlyPaths: d.ReadOnlyPaths}
	limits := chk.Limits.Merge(v.limits)
	out, err := v.runWith(ctx, run, sandbox.File{Name: file, Content: []byte(req.Code)}, nil, limits)
	if err != nil {
		return Result{}, err
	}
	diags, err := chk.Parse(out.stdout.String()+"\n"+out.stderr.String(), file, req.Code)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s: %v", ErrCheckerFailed, d.Name, err)
	}
	var errs, warns []issue
	for _, dg := range diags {
		i := issue{Line: dg.Line, Column: dg.Col, Message: dg.Msg, Kind: dg.Severity}
		if dg.Severity == "warning" {
			warns = append(warns, i)
		} else {
			errs = append(errs, i)
		}
	}
	exit := out.result.ExitCode
	if exit < 0 || (exit != 0 && len(errs) == 0) {
		return Result{}, fmt.Errorf("%w: %s exited with code %d%s", ErrCheckerFailed, chk.Argv[0], exit, out.stderrTail())
	}
	// gcc reports some warnings (unused variables) in reverse order.
	byPosition := func(a, b issue) int { return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column)) }
	slices.SortStableFunc(errs, byPosition)
	slices.SortStableFunc(warns, byPosition)
	// checker.py caps its report the same way; a page of errors helps no one.
	errs, warns = errs[:min(len(errs), maxIssues)], warns[:min(len(warns), maxIssues)]
	res := newResult(policy.Name)
	for _, i := range errs {
		res.addError(i)
	}
	if policy.Warnings {
		for _, i := range warns {
			res.addWarning(i)
		}
	}
	return res, nil
}

// parseGCCDiagnostics reads gcc's diagnostics about main.c, as the C
// descriptor's checker does (the fuzz target's entry point).
func parseGCCDiagnostics(stderr, source string) (errs, warns []issue) {
	chk := lang.Checker{Format: "gcc", ByteColumns: true}
	diags, _ := chk.Parse(stderr, "main.c", source)
	for _, d := range diags {
		kind := d.Severity
		i := issue{Line: d.Line, Column: d.Col, Message: d.Msg, Kind: kind}
		if kind == "warning" {
			warns = append(warns, i)
		} else {
			errs = append(errs, i)
		}
	}
	return errs, warns
}
