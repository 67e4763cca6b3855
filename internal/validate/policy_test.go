package validate

import "testing"

func TestDefaultPoliciesAreValid(t *testing.T) {
	for name, p := range DefaultPolicies() {
		if p.Name != name {
			t.Errorf("policy under %q is named %q", name, p.Name)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	a, b := DefaultPolicies(), DefaultPolicies()
	a[PolicyStrict].AllowedImports[0] = "os"
	if b[PolicyStrict].AllowedImports[0] != "math" {
		t.Fatal("DefaultPolicies shares slices between calls")
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{Policy{}, `policy "": name: must not be empty`},
		{Policy{Name: "p", AllowedImports: []string{"math", "os.path", ""}},
			"policy \"p\": allowed_imports[1]: \"os.path\" is not a top-level Python name\n" +
				"allowed_imports[2]: \"\" is not a top-level Python name"},
		{Policy{Name: "p", DeniedCalls: []string{"eval("}}, `policy "p": denied_calls[0]: "eval(" is not a top-level Python name`},
		{Policy{Name: "p", AllowAllImports: true, AllowedImports: []string{"math"}},
			`policy "p": allowed_imports: set, but allow_all_imports makes it meaningless`},
		{Policy{Name: "p", SyntaxOnly: true, DeniedImports: []string{"os"}},
			`policy "p": denied_imports: set, but syntax_only ignores it`},
		{Policy{Name: "p", SyntaxOnly: true, FlagDunderEscapes: true},
			`policy "p": syntax_only: conflicts with allow_all_imports/flag_dunder_escapes`},
	}
	for _, tc := range tests {
		err := tc.p.Validate()
		if err == nil || err.Error() != tc.want {
			t.Errorf("Validate(%+v) = %v\nwant %q", tc.p, err, tc.want)
		}
	}
}
