package validate

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseCheckerOutput: whatever the checker writes, the server neither
// panics nor returns a Result that breaks the API's promises.
func FuzzParseCheckerOutput(f *testing.F) {
	f.Add([]byte(`{"errors": [], "warnings": []}`))
	f.Add([]byte(`{"errors": [{"line": 1, "column": 7, "end_line": 1, "end_column": 8, "message": "invalid syntax", "kind": "SyntaxError"}], "warnings": []}`))
	f.Add([]byte(`{"errors": [], "warnings": [{"line": 0, "column": 0, "message": "w"}]}`))
	f.Add([]byte(`{"errors": [{"line": -1, "column": 1, "message": "x"}], "warnings": []}`))
	f.Add([]byte(`{"errors": null}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := parseCheckerOutput(data, "strict")
		if err != nil {
			if !errors.Is(err, ErrCheckerFailed) {
				t.Fatalf("error %v is not ErrCheckerFailed", err)
			}
			return
		}
		if res.Errors == nil || res.Warnings == nil || res.WarningDetails == nil {
			t.Fatal("nil slice in a Result")
		}
		if res.Valid != (len(res.Errors) == 0) || (res.Error == nil) != res.Valid {
			t.Fatalf("valid %v with %d errors and error %v", res.Valid, len(res.Errors), res.Error)
		}
		for _, i := range append(res.Errors, res.WarningDetails...) {
			if i.Line < 0 || i.Column < 0 || i.Message == "" {
				t.Fatalf("bad issue %+v", i)
			}
		}
	})
}

// FuzzParseGCCDiagnostics: compiler output and source of any shape give
// issues with sane positions, never a panic.
func FuzzParseGCCDiagnostics(f *testing.F) {
	f.Add("main.c: In function 'main':\nmain.c:3:19: error: expected ';' before 'return'\n", "int main(void) {\n\n    printf(\"hi\")\n}\n")
	f.Add("main.c:2:31: error: x\nmain.c:3:6: warning: y [-Wall]\n", "\tchar *s = \"éé\"; int y = 1 +;\n")
	f.Add("main.c:1: error: no column\n", "")
	f.Add("main.c:99999999999999999999:1: error: big\n", "x")
	f.Add("main.c:2:5000: warning: past the end\r\n", "a\n\xff\xfe\n")
	f.Add("/usr/include/stdio.h:1:1: error: not ours\n", "")
	f.Fuzz(func(t *testing.T, stderr, source string) {
		errs, warns := parseGCCDiagnostics(stderr, source)
		for _, i := range append(errs, warns...) {
			if i.Line < 0 || i.Column < 0 {
				t.Fatalf("bad position %+v", i)
			}
			if i.Kind != "error" && i.Kind != "fatal error" && i.Kind != "warning" {
				t.Fatalf("kind %q", i.Kind)
			}
			if strings.Contains(i.Message, "\n") {
				t.Fatalf("message spans lines: %q", i.Message)
			}
		}
	})
}
