package content

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseInfo(t *testing.T) {
	flag := func(k string) Attr { return Attr{Key: k} }
	kv := func(k, v string) Attr { return Attr{Key: k, Value: v, HasValue: true} }
	tests := []struct {
		in      string
		want    Info
		wantErr string
	}{
		{in: "python", want: Info{Language: "python"}},
		{in: "", want: Info{}},
		{in: "python {runnable id=hello env=auto title=\"Hello\"}", want: Info{Language: "python",
			Attrs: []Attr{flag("runnable"), kv("id", "hello"), kv("env", "auto"), kv("title", "Hello")}}},
		{in: "python{runnable,id=a}", want: Info{Language: "python", Attrs: []Attr{flag("runnable"), kv("id", "a")}}},
		{in: "  c   { runnable   id='x y'  }  ", want: Info{Language: "c", Attrs: []Attr{flag("runnable"), kv("id", "x y")}}},
		{in: "python runnable id=bare", want: Info{Language: "python", Attrs: []Attr{flag("runnable"), kv("id", "bare")}}},
		{in: `py {title="say \"hi\"\tnow" stdin="a\nb\n"}`, want: Info{Language: "py",
			Attrs: []Attr{kv("title", "say \"hi\"\tnow"), kv("stdin", "a\nb\n")}}},
		{in: `py {path="C:\dir\\x"}`, want: Info{Language: "py", Attrs: []Attr{kv("path", `C:\dir\x`)}}},
		{in: `py {title='it''s'}`, wantErr: "unexpected"},
		{in: `py {title="a}b" id=c}`, want: Info{Language: "py", Attrs: []Attr{kv("title", "a}b"), kv("id", "c")}}},
		{in: "py {id=}", want: Info{Language: "py", Attrs: []Attr{kv("id", "")}}},
		{in: "{runnable id=x}", want: Info{Attrs: []Attr{flag("runnable"), kv("id", "x")}}},
		{in: "py {}", want: Info{Language: "py"}},
		{in: "py {runnable", wantErr: "missing closing }"},
		{in: `py {title="open}`, wantErr: "unterminated"},
		{in: `py {title='open}`, wantErr: "unterminated"},
		{in: "py {id=a id=b}", wantErr: "duplicate attribute \"id\""},
		{in: "py {=x}", wantErr: "unexpected \"=\""},
		{in: "py {runnable} trailing", wantErr: "after }"},
	}
	for _, tt := range tests {
		got, err := ParseInfo(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseInfo(%q) err = %v, want containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseInfo(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseInfo(%q) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseInfo(f *testing.F) {
	for _, s := range []string{
		"python {runnable id=hello env=auto title=\"Hello\"}", "c {runnable,id='x'}",
		`py {stdin="a\nb\\" timeout=5}`, "{", "}", `"`, "py {a=\"\\", "python runnable id=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := ParseInfo(s)
		if strings.ContainsAny(info.Language, " \t\r\n{") {
			t.Fatalf("language %q contains a separator", info.Language)
		}
		keys := map[string]bool{}
		for _, a := range info.Attrs {
			if a.Key == "" || keys[a.Key] {
				t.Fatalf("empty or repeated key in %+v", info.Attrs)
			}
			keys[a.Key] = true
			if !a.HasValue && a.Value != "" {
				t.Fatalf("flag %q has a value", a.Key)
			}
		}
		again, err2 := ParseInfo(s)
		if !reflect.DeepEqual(info, again) || (err == nil) != (err2 == nil) {
			t.Fatal("ParseInfo is not deterministic")
		}
	})
}
