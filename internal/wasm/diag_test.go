package wasm

import (
	"reflect"
	"testing"
)

func TestParseDiagnostics(t *testing.T) {
	clang := "main.c:3:5: error: use of undeclared identifier 'x'\n    x = 1;\n    ^\n/usr/include/wasm32-wasi/stdio.h:1:1: warning: elsewhere\nmain.c:1:1: warning: unused\n1 error generated.\n"
	got := ParseDiagnostics(clang, "main.c", "int main(void) {\n\n    x = 1;\n}\n")
	want := []Diagnostic{{3, 5, "error", "use of undeclared identifier 'x'"}, {1, 1, "warning", "unused"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("clang: %+v", got)
	}
	rust := "error[E0308]: mismatched types\n --> main.rs:2:18\n  |\n2 |     let x: i32 = \"a\";\n\nwarning: unused variable: `x`\n --> main.rs:2:9\nerror: aborting due to previous error\n"
	got = ParseDiagnostics(rust, "main.rs", "fn main() {\n    let x: i32 = \"a\";\n}\n")
	want = []Diagnostic{{2, 18, "error", "mismatched types"}, {2, 9, "warning", "unused variable: `x`"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rust: %+v", got)
	}
	// Columns are bytes from the compiler and characters in the editor.
	got = ParseDiagnostics("main.c:1:8: error: bad\n", "main.c", "/* é */ x")
	if len(got) != 1 || got[0].Column != 7 {
		t.Fatalf("multibyte column: %+v", got)
	}
}

func FuzzParseDiagnostics(f *testing.F) {
	f.Add("main.c:3:5: error: x\n", "a\nb\nc")
	f.Add("error[E1]: m\n --> main.rs:99:99999\n", "é")
	f.Fuzz(func(t *testing.T, stderr, source string) {
		for _, d := range ParseDiagnostics(stderr, "main.c", source) {
			if d.Line < 0 || d.Column < 0 {
				t.Fatalf("negative position %+v", d)
			}
		}
		ParseDiagnostics(stderr, "main.rs", source)
	})
}
