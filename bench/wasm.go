package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The wasm environment: compile in the sandbox (miss) vs the module cache
// (hit), and a hello run in wazero vs the same C hello in the bwrap sandbox.

const wasmHelloC = "#include <stdio.h>\nint main(void){ puts(\"Hello, World!\"); return 0; }\n"
const wasmHelloRust = "fn main() { println!(\"Hello, World!\"); }\n"

func postJSON(url string, body any, out any) error {
	b, _ := json.Marshal(body)
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d %s", url, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}

func wasmCompile(url, lang, code string, wantCached bool) error {
	var r struct {
		OK     bool `json:"ok"`
		Cached bool `json:"cached"`
	}
	if err := postJSON(url+"/api/v1/wasm/compile", map[string]string{"language": lang, "code": code}, &r); err != nil {
		return err
	}
	if !r.OK || r.Cached != wantCached {
		return fmt.Errorf("compile %s: ok=%v cached=%v, want cached=%v", lang, r.OK, r.Cached, wantCached)
	}
	return nil
}

func executeIn(url, env, lang, code string) error {
	var r struct{ Status, Output string }
	if err := postJSON(url+"/api/v1/code/execute", map[string]string{"code": code, "language": lang, "environment": env}, &r); err != nil {
		return err
	}
	if r.Status != "success" || r.Output != "Hello, World!\n" {
		return fmt.Errorf("%s %s: %s %q", env, lang, r.Status, r.Output)
	}
	return nil
}

func wasmRows(s *server, n int) ([]row, error) {
	misses := max(n/10, 10)
	var rows []row
	seq := time.Now().UnixNano()
	for _, l := range []struct{ lang, code string }{{"c", wasmHelloC}, {"rust", wasmHelloRust}} {
		// A new comment makes a new source: every compile misses the cache.
		miss, err := timeN(misses, func() error {
			seq++
			return wasmCompile(s.url, l.lang, fmt.Sprintf("%s// %d\n", l.code, seq), false)
		})
		if err != nil {
			return nil, err
		}
		if err := wasmCompile(s.url, l.lang, l.code, false); err != nil {
			return nil, err
		}
		hit, err := timeN(n, func() error { return wasmCompile(s.url, l.lang, l.code, true) })
		if err != nil {
			return nil, err
		}
		rows = append(rows,
			row{fmt.Sprintf("`POST /wasm/compile` %s hello, cache miss (compile in bwrap)", l.lang), ms(percentile(miss, .5)), ms(percentile(miss, .95)), fmt.Sprintf("%d samples", misses)},
			row{fmt.Sprintf("`POST /wasm/compile` %s hello, cache hit", l.lang), ms(percentile(hit, .5)), ms(percentile(hit, .95)), fmt.Sprintf("**%.0f× faster than a miss**", float64(percentile(miss, .5))/float64(percentile(hit, .5)))},
		)
	}
	// Module cached by now: these are the run's own cost plus the HTTP round trip.
	for _, l := range []struct{ lang, code string }{{"c", wasmHelloC}, {"rust", wasmHelloRust}} {
		if err := executeIn(s.url, "wasm", l.lang, l.code); err != nil {
			return nil, err
		}
		run, err := timeN(n, func() error { return executeIn(s.url, "wasm", l.lang, l.code) })
		if err != nil {
			return nil, err
		}
		rows = append(rows, row{fmt.Sprintf("`POST /execute` env wasm, %s hello (wazero, module cached)", l.lang), ms(percentile(run, .5)), ms(percentile(run, .95)), ""})
	}
	native, err := timeN(max(n/4, 10), func() error { return executeIn(s.url, "server", "c", wasmHelloC) })
	if err != nil {
		return nil, err
	}
	rows = append(rows, row{"`POST /execute` env server, C hello (gcc + run in bwrap, baseline)", ms(percentile(native, .5)), ms(percentile(native, .95)), "compiles every run"})
	return rows, nil
}
