package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The contract of the endpoints merged after the document was first
// written: submissions and their statistics, wasm, container environments.

func exercisesContract(t *testing.T, c *contract, author, learner, bad string) {
	t.Helper()
	sub := func(block, code string) string {
		return mustJSON(map[string]string{"content_id": "python-exercises", "code_block_id": block, "code": code})
	}
	c.call("exercise blocks", "GET", "/api/v1/code/code-blocks/python-exercises", author, "", 200)
	c.call("exercise lesson", "GET", "/api/v1/code/content/python-exercises", learner, "", 200)

	ok := c.call("submit passed", "POST", "/api/v1/code/submit", author, sub("fizzbuzz", fizzbuzzGood), 200)
	failed := c.call("submit failed", "POST", "/api/v1/code/submit", author, sub("fizzbuzz", "def fizzbuzz(n):\n    return str(n)\nprint('hi')\n"), 200)
	broken := c.call("submit broken", "POST", "/api/v1/code/submit", author, sub("fizzbuzz", "def fizzbuzz(n:\n"), 200)
	for name, ex := range map[string]exchange{"passed": ok, "failed": failed, "error": broken} {
		if ex.json["status"] != name {
			t.Errorf("submit %s: status %v: %s", name, ex.json["status"], ex.body)
		}
	}
	c.call("submit no reference", "POST", "/api/v1/code/submit", author, `{"code":"x = 1"}`, 400)
	c.call("submit malformed", "POST", "/api/v1/code/submit", author, `{"code":`, 400)
	c.call("submit empty code", "POST", "/api/v1/code/submit", author, sub("fizzbuzz", "  "), 400)
	c.call("submit unknown block", "POST", "/api/v1/code/submit", author, sub("nope", "x = 1"), 404)
	c.call("submit bad token", "POST", "/api/v1/code/submit", bad, sub("fizzbuzz", "x = 1"), 401)
	c.call("submit wrong method", "GET", "/api/v1/code/submit", author, "", 405)
	c.call("submit too large", "POST", "/api/v1/code/submit", author, sub("fizzbuzz", strings.Repeat("#", 70<<10)), 413)
	c.call("submit policy violation", "POST", "/api/v1/code/submit", author, sub("fizzbuzz", "import os\nos.system('id')"), 422)
	// learner has used up its run quota (3) on /execute already.
	c.call("submit quota used up", "POST", "/api/v1/code/submit", learner, sub("fizzbuzz", fizzbuzzGood), 429)
	c.call("submit stream quota used up", "POST", "/api/v1/code/submit/stream", learner, sub("fizzbuzz", fizzbuzzGood), 429)

	_, evs, done := c.streamAt("submit stream", "/api/v1/code/submit/stream", "SubmissionEvent", author, sub("fizzbuzz", fizzbuzzGood+"print('out')\n"))
	all := drain(evs)
	<-done
	got := typesOf(all)
	for _, want := range []string{"start", "output", "tests", "test", "complete"} {
		if !slices.Contains(got, want) {
			t.Errorf("submit stream events %v lack %q", got, want)
		}
	}
	if last := all[len(all)-1]; last["type"] != "complete" || last["status"] != "passed" || last["submission"] == nil {
		t.Errorf("submit stream ended with %v", last)
	}
	c.call("submit stream unknown block", "POST", "/api/v1/code/submit/stream", author, sub("nope", "x = 1"), 404)
	c.call("submit stream no tests", "POST", "/api/v1/code/submit/stream", author,
		mustJSON(map[string]string{"content_id": "python-basics", "code_block_id": "hello", "code": "x = 1"}), 400)
	c.call("submit stream bad token", "POST", "/api/v1/code/submit/stream", bad, sub("fizzbuzz", "x = 1"), 401)
	c.call("submit stream wrong method", "GET", "/api/v1/code/submit/stream", author, "", 405)
	c.call("submit stream too large", "POST", "/api/v1/code/submit/stream", author, sub("fizzbuzz", strings.Repeat("#", 70<<10)), 413)
	c.call("submit stream policy violation", "POST", "/api/v1/code/submit/stream", author, sub("fizzbuzz", "import subprocess"), 422)

	st := c.call("exercise stats", "GET", "/api/v1/code/exercises/stats/python-exercises", author, "", 200)
	if list, _ := st.json["exercises"].([]any); len(list) == 0 {
		t.Errorf("exercise stats without exercises: %s", st.body)
	} else if first, _ := list[0].(map[string]any); first["attempts"] == 0.0 {
		t.Errorf("exercise stats count no attempts after 4 submissions: %s", st.body)
	}
	c.call("exercise stats as a learner", "GET", "/api/v1/code/exercises/stats/python-exercises", learner, "", 403)
	c.call("exercise stats anonymous", "GET", "/api/v1/code/exercises/stats/python-exercises", "", "", 403)
	c.call("exercise stats unknown lesson", "GET", "/api/v1/code/exercises/stats/nope", author, "", 404)
	c.call("exercise stats bad token", "GET", "/api/v1/code/exercises/stats/python-exercises", bad, "", 401)
	c.call("exercise stats wrong method", "POST", "/api/v1/code/exercises/stats/python-exercises", author, `{}`, 405)
}

func wasmContract(t *testing.T, c *contract, author, learner, bad string) {
	t.Helper()
	src := mustJSON(map[string]string{"language": "c", "code": "#include <stdio.h>\nint main(void){puts(\"contract\");return 0;}\n"})
	compiled := c.call("wasm compile", "POST", "/api/v1/wasm/compile", author, src, 200)
	c.call("wasm compile cached", "POST", "/api/v1/wasm/compile", author, src, 200)
	broken := c.call("wasm compile error", "POST", "/api/v1/wasm/compile", author, `{"language":"c","code":"int main(void){ return nope; }"}`, 200)
	if broken.json["ok"] != false {
		t.Errorf("wasm compile error: %s", broken.body)
	}
	c.call("wasm compile python", "POST", "/api/v1/wasm/compile", author, `{"language":"python","code":"print(1)"}`, 400)
	c.call("wasm compile malformed", "POST", "/api/v1/wasm/compile", author, `{"language":"c"`, 400)
	c.call("wasm compile bad token", "POST", "/api/v1/wasm/compile", bad, src, 401)
	c.call("wasm compile quota used up", "POST", "/api/v1/wasm/compile", learner, src, 429)
	c.call("wasm compile too large", "POST", "/api/v1/wasm/compile", author, mustJSON(map[string]string{"language": "c", "code": strings.Repeat("/", 70<<10)}), 413)

	hash, _ := compiled.json["hash"].(string)
	if len(hash) != 64 {
		t.Fatalf("wasm compile gave no hash: %s", compiled.body)
	}
	mod := c.call("wasm module", "GET", "/api/v1/wasm/"+hash, "", "", 200)
	if len(mod.body) < 8 || string(mod.body[:4]) != "\x00asm" {
		t.Errorf("wasm module is not WebAssembly: %q", mod.body[:min(8, len(mod.body))])
	}
	c.call("wasm module not modified", "GET", "/api/v1/wasm/"+hash, "", "", 304, "If-None-Match", mod.resp.Header.Get("ETag"))
	c.call("wasm module unknown", "GET", "/api/v1/wasm/"+strings.Repeat("0", 64), "", "", 404)
	c.call("wasm module bad name", "GET", "/api/v1/wasm/NOT-A-HASH", "", "", 400)
	c.call("wasm module wrong method", "POST", "/api/v1/wasm/"+hash, "", `{}`, 405)

	run := c.call("execute wasm", "POST", "/api/v1/code/execute", author, `{"code":"#include <stdio.h>\nint main(void){puts(\"w\");return 0;}","language":"c","environment":"wasm"}`, 200)
	if run.json["environment"] != "wasm" || run.json["output"] != "w\n" {
		t.Errorf("execute wasm: %s", run.body)
	}
	c.call("execute wasm compile error", "POST", "/api/v1/code/execute", author, `{"code":"int main(void){ return x; }","language":"c","environment":"wasm"}`, 200)
	_, evs, done := c.stream("stream wasm", author, `{"code":"fn main() { println!(\"s\"); }","language":"rust","environment":"wasm"}`)
	if got := typesOf(drain(evs)); !slices.Contains(got, "complete") {
		t.Errorf("wasm stream events %v", got)
	}
	<-done
	un := c.call("execute ros2 without its image", "POST", "/api/v1/code/execute", author, `{"code":"print(1)","environment":"ros2"}`, 503)
	if un.json["code"] != "environment_unavailable" {
		t.Errorf("ros2 without its image: %s", un.body)
	}
	c.call("execute docker", "POST", "/api/v1/code/execute", author, `{"code":"print(1)","environment":"docker"}`, 200)
	for _, lang := range []string{"c++", "rust", "go"} {
		c.call(fmt.Sprintf("execute %s", lang), "POST", "/api/v1/code/execute", author,
			mustJSON(map[string]string{"language": lang, "code": helloIn[lang]}), 200)
	}
}

// helloIn is a program that prints a line, per language.
var helloIn = map[string]string{
	"c++":  "#include <iostream>\nint main(){ std::cout << \"hi\\n\"; }\n",
	"rust": "fn main() { println!(\"hi\"); }\n",
	"go":   "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n",
}

// busyContract: while a run holds the only slot, what needs a sandbox is
// refused with 503.
func busyContract(c *contract, author string) {
	sub := mustJSON(map[string]string{"content_id": "python-exercises", "code_block_id": "fizzbuzz", "code": fizzbuzzGood})
	c.call("busy submit", "POST", "/api/v1/code/submit", author, sub, 503)
	c.call("busy submit stream", "POST", "/api/v1/code/submit/stream", author, sub, 503)
	c.call("busy wasm compile", "POST", "/api/v1/wasm/compile", author, `{"language":"c","code":"int main(void){return 42;}"}`, 503)
}
