package exercise_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/exercise"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/store"
)

const greetLesson = "```c {runnable id=greet}\nint main(void) { return 0; }\n```\n\n" +
	"```text {tests for=greet stdin=\"Ada\\n\" match=exact name=\"greets Ada\"}\nHello, Ada!\n```\n\n" +
	"```text {tests for=greet stdin=\"Bob\" hidden name=\"greets Bob\"}\nHello, Bob!   \n\n```\n\n" +
	"```text {tests for=greet stdin=\"Grace Hopper\\n\" match=regex name=\"any name\"}\nHello, [A-Za-z ]+!\n```\n"

const greetGood = "#include <stdio.h>\n#include <string.h>\nint main(void) {\n" +
	"    char name[64] = \"\";\n    if (!fgets(name, sizeof name, stdin)) return 1;\n" +
	"    name[strcspn(name, \"\\n\")] = 0;\n    printf(\"Hello, %s!\\n\", name);\n    return 0;\n}\n"

// TestOutputCasesC grades a C program against expected-output cases: one
// compile, one sandbox, the program run once per case with its stdin.
func TestOutputCasesC(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	c := sandbox.Language{Name: "c", FileName: "main.c", Compile: []string{"/usr/bin/gcc", "-std=c17", "-O1", "-o", "main", "main.c"}, Run: []string{"./main"},
		CompileLimits: sandbox.Limits{MemoryBytes: 512 << 20, CPUs: 1, WallTime: 30 * time.Second, FileBytes: 64 << 20}}
	svc, err := execute.New(rt, map[string]sandbox.Language{"c": c}, execute.Config{
		Limits:     sandbox.Limits{MemoryBytes: 256 << 20, WallTime: 20 * time.Second, OutputChars: 10_000},
		MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 16, MaxStdinBytes: 1 << 16, MaxConcurrent: 1, MaxQueue: 8, QueueWait: 2 * time.Minute,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exercise.New(svc, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, probs := content.ParseLesson("greet", "greet.md", []byte(greetLesson))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	submit := func(code string) exercise.Verdict {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var errb lockedBuf
		v, err := ex.Submit(ctx, execute.Caller{UserID: "u"}, "greet", l.Blocks[0], code, exercise.Events{Stderr: &errb})
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if v.Status == store.VerdictError {
			t.Logf("stderr: %s", errb.String())
		}
		return v
	}
	v := submit(greetGood)
	if v.Status != store.VerdictPassed || v.Passed() != 3 {
		t.Fatalf("good: %s %q %+v", v.Status, v.Message, v.Tests)
	}
	v = submit(strings.Replace(greetGood, "Hello, %s!", "Hi %s", 1))
	if v.Status != store.VerdictFailed || v.Passed() != 0 {
		t.Fatalf("wrong: %s %q %+v", v.Status, v.Message, v.Tests)
	}
	rs := results(v)
	if m := rs["greets Ada"].Message; !strings.Contains(m, `expected "Hello, Ada!\n", got "Hi Ada\n"`) {
		t.Errorf("visible case message %q", m)
	}
	if m := rs["greets Bob"].Message; strings.Contains(m, "Hello, Bob") || !strings.Contains(m, "differs") {
		t.Errorf("hidden case message %q shows the expected output or no reason", m)
	}
	v = submit("int main(void) { return 3; }\n")
	if v.Status != store.VerdictFailed || !strings.Contains(results(v)["greets Ada"].Message, "exited with code 3") {
		t.Errorf("exit code: %s %+v", v.Status, v.Tests)
	}
	v = submit("int main(void) { return }\n")
	if v.Status != store.VerdictError {
		t.Errorf("compile error: %s %q %+v", v.Status, v.Message, v.Tests)
	}
}
