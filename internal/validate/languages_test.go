package validate_test

import (
	"context"
	"testing"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
	"github.com/runblock/runblock/internal/validate"
)

// TestLanguagesCompileErrors: every built-in language's checker, run in the
// real sandbox, places its compile error where the tool does (line and
// column from its own diagnostics), and finds nothing in hello-world.
func TestLanguagesCompileErrors(t *testing.T) {
	v := newBwrapValidator(t)
	set := lang.Builtins()
	for _, name := range set.Names() {
		t.Run(name, func(t *testing.T) {
			p, ok := sandboxtest.LanguagePrograms[name]
			if !ok {
				t.Fatalf("no programs for %q in sandboxtest.LanguagePrograms", name)
			}
			res, err := v.Validate(context.Background(), validate.Request{Code: p.CompileError, Language: name, Policy: validate.PolicySandboxOnly})
			if err != nil {
				t.Fatal(err)
			}
			if res.Valid || len(res.Errors) == 0 || res.Error == nil {
				t.Fatalf("invalid code passed: %+v", res)
			}
			if e := res.Errors[0]; e.Line != p.ErrLine || e.Column != p.ErrCol || e.Message == "" {
				t.Fatalf("first error %+v, want line %d column %d", e, p.ErrLine, p.ErrCol)
			}
			res, err = v.Validate(context.Background(), validate.Request{Code: p.Hello, Language: name, Policy: validate.PolicySandboxOnly})
			if err != nil || !res.Valid {
				t.Fatalf("hello-world: %+v %v", res, err)
			}
		})
	}
	// An alias reaches its language's checker.
	res, err := v.Validate(context.Background(), validate.Request{Code: "let x = ;\n", Language: "js"})
	if err != nil || res.Valid || res.Errors[0].Line != 1 {
		t.Fatalf("js alias: %+v %v", res, err)
	}
}
