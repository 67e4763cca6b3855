package lang

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBuiltinsValid(t *testing.T) {
	s := Builtins()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []string{"bash", "c", "c++", "go", "java", "javascript", "python", "rust", "sql", "typescript"}
	if got := strings.Join(s.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("names %s", got)
	}
	for _, n := range s.Names() {
		d := s[n]
		if d.Hello == "" || d.VersionProbe == nil || d.Check == nil || d.Display == "" || len(d.Extensions) == 0 {
			t.Errorf("%s: built-ins carry a hello, a version probe, a checker, a display name and extensions: %+v", n, d)
		}
	}
}

func TestLookupAndExtensions(t *testing.T) {
	s := Builtins()
	for alias, want := range map[string]string{"js": "javascript", "ts": "typescript", "cpp": "c++", "golang": "go", "rs": "rust", "sh": "bash", "sqlite": "sql", "python": "python"} {
		if d, ok := s.Lookup(alias); !ok || d.Name != want {
			t.Errorf("Lookup(%q) = %q, %v", alias, d.Name, ok)
		}
	}
	if _, ok := s.Lookup("cobol"); ok {
		t.Error("cobol found")
	}
	for file, want := range map[string]string{"a.py": "python", "x/Main.java": "java", "p.CPP": "c++", "q.mjs": "javascript"} {
		if d, ok := s.ByExtension(file); !ok || d.Name != want {
			t.Errorf("ByExtension(%q) = %q, %v", file, d.Name, ok)
		}
	}
	r := s.Runnable()
	if r["js"].Name != "javascript" || r["javascript"].FileName != "main.js" {
		t.Fatalf("runnable js: %+v", r["js"])
	}
}

// An operator changes a built-in field by field, adds a language in the old
// (name, file_name, run) form, and removes one.
func TestOverrideFromConfig(t *testing.T) {
	s := Builtins()
	err := json.Unmarshal([]byte(`{
		"java": {"run": ["/usr/bin/java", "-Xss1m", "-cp", ".", "Main"], "env": {"JAVA_OPTS_X": "1"}},
		"ruby": {"name": "ruby", "file_name": "main.rb", "run": ["/usr/bin/ruby", "main.rb"]},
		"sql": {"disabled": true}
	}`), &s)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	j := s["java"]
	if j.Run[1] != "-Xss1m" || len(j.Compile) == 0 || j.Check == nil || j.Env["JAVA_OPTS_X"] != "1" || j.ReadOnlyPaths[0] != "/etc/java-17-openjdk" {
		t.Fatalf("java override: %+v", j)
	}
	if b := Builtins()["java"]; b.Run[1] == "-Xss1m" {
		t.Fatal("override changed the built-ins")
	}
	if r, ok := s.Lookup("ruby"); !ok || r.Check != nil || r.FileName != "main.rb" {
		t.Fatalf("ruby: %+v %v", r, ok)
	}
	if _, ok := s.Lookup("sqlite"); ok {
		t.Fatal("disabled sql still found by its alias")
	}
}

func TestBadDescriptorsNamed(t *testing.T) {
	cases := map[string]string{
		`{"java": {"runn": ["x"]}}`:                                                                                     `languages.java: json: unknown field "runn"`,
		`{"ruby": {"file_name": "main.rb"}}`:                                                                            "languages.ruby.run: must not be empty",
		`{"ruby": {"file_name": "../x", "run": ["r"]}}`:                                                                 "languages.ruby.file_name: must be a plain file name",
		`{"ruby": {"file_name": "a.rb", "run": ["r"], "aliases": ["js"]}}`:                                              `languages.ruby.aliases[0]: "js" is already the name or alias of javascript`,
		`{"ruby": {"file_name": "a.rb", "run": ["r"], "check": {"argv": ["r"], "format": "pascal"}}}`:                   `languages.ruby.check: format "pascal" is not one of python`,
		`{"ruby": {"file_name": "a.rb", "run": ["r"], "check": {"argv": ["r"], "format": "x", "pattern": "([0-9]+)"}}}`: "needs a (?P<line>...) group",
		`{"ruby": {"file_name": "a.rb", "run": ["r"], "read_only_paths": ["/home/x"]}}`:                                 "languages.ruby.read_only_paths[0]",
		`{"ruby": {"file_name": "a.rb", "run": ["r"], "version_probe": {"argv": ["r"], "pattern": "v"}}}`:               "languages.ruby.version_probe.pattern: needs a group",
		`{"ruby": {"file_name": "a.rb", "run": ["r"], "warm": "ruby"}}`:                                                 "languages.ruby.warm",
		`{"python": {"name": "py3"}}`:                                                                                   `languages.python.name: "py3" must match its key`,
	}
	for in, want := range cases {
		s := Builtins()
		err := json.Unmarshal([]byte(in), &s)
		if err == nil {
			err = s.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
}

func TestParseDiagnostics(t *testing.T) {
	cases := []struct {
		format, out, file, src string
		line, col              int
		msg                    string
	}{
		{"gcc", "main.cpp:3:11: error: expected primary-expression before ';' token\n", "main.cpp", "", 3, 11, "expected primary-expression before ';' token"},
		{"gcc", "main.rs:2:18: error[E0308]: mismatched types\n", "main.rs", "", 2, 18, "mismatched types"},
		{"go", "# command-line-arguments\n./main.go:4:2: x declared but not used\n", "main.go", "", 4, 2, "x declared but not used"},
		{"tsc", "main.ts(2,7): error TS2322: Type 'number' is not assignable to type 'string'.\n", "main.ts", "", 2, 7, "Type 'number' is not assignable to type 'string'."},
		{"node", "/box/main.js:2\nconsole.log(\"hi\"\n            ^^^^\n\nSyntaxError: missing ) after argument list\n", "main.js", "", 2, 13, "SyntaxError: missing ) after argument list"},
		{"javac", "Main.java:3: error: ';' expected\n        int x = 1\n                 ^\n1 error\n", "Main.java", "", 3, 18, "';' expected"},
		{"bash", "main.sh: line 4: syntax error: unexpected end of file\n", "main.sh", "", 4, 0, "syntax error: unexpected end of file"},
		{"sqlite", "Parse error near line 2: near \"SELEC\": syntax error\n  SELEC 1;\n  ^--- error here\n", "main.sql", "", 2, 1, "near \"SELEC\": syntax error"},
	}
	for _, c := range cases {
		chk := Checker{Format: c.format}
		if c.format == "sqlite" {
			chk.CaretIndent = 2
		}
		d, err := chk.Parse(c.out, c.file, c.src)
		if err != nil || len(d) != 1 || d[0].Line != c.line || d[0].Col != c.col || d[0].Msg != c.msg {
			t.Errorf("%s: %+v %v", c.format, d, err)
		}
	}
}

// FuzzParse: tool output of any shape gives sane positions, never a panic.
func FuzzParse(f *testing.F) {
	f.Add("node", "/box/main.js:2\n  ^\nSyntaxError: x\n", "a\nb\n")
	f.Add("gcc", "main.c:1:99999999999999999999: error: big\n", "x")
	f.Add("javac", "Main.java:1: error: e\n\t^\n", "")
	f.Add("sqlite", "Parse error near line 1: x\n^--- error here\n", "")
	f.Fuzz(func(t *testing.T, format, out, src string) {
		if _, ok := Formats[format]; !ok {
			format = "gcc"
		}
		chk := Checker{Format: format, ByteColumns: true, CaretIndent: 2}
		d, err := chk.Parse(out, "main.c", src)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range d {
			if x.Line < 0 || x.Col < 0 || strings.Contains(x.Msg, "\n") {
				t.Fatalf("bad diagnostic %+v", x)
			}
		}
	})
}
