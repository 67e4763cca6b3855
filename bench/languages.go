package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/lang"
)

// languageRows: for every built-in language, its hello-world through POST
// /execute (compile and run in the sandbox) against the bare toolchain
// doing the same as root in a temp dir, in the same run. The bare side
// runs only our fixed hello-world, never learner code. Every API sample
// differs from the others by trailing blank lines, so the compile cache
// misses; a last row per compiled language repeats one source (hits).
func languageRows(s *server, n int) ([]row, error) {
	set := lang.Builtins()
	var rows []row
	seq := 0
	fresh := func(code string) string { seq++; return code + strings.Repeat("\n", seq) }
	for _, name := range set.Names() {
		d := set[name]
		// one of each first: page cache, JIT caches of the server
		if err := postLanguage(s.url, name, fresh(d.Hello)); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := bareHello(d); err != nil {
			return nil, fmt.Errorf("%s bare: %w", name, err)
		}
		var api, bare []time.Duration
		for i := 0; i < n; i++ { // interleaved, so that load changes hit both sides
			code := fresh(d.Hello)
			start := time.Now()
			if err := postLanguage(s.url, name, code); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			api = append(api, time.Since(start))
			start = time.Now()
			if err := bareHello(d); err != nil {
				return nil, fmt.Errorf("%s bare: %w", name, err)
			}
			bare = append(bare, time.Since(start))
		}
		steps := "run"
		if len(d.Compile) > 0 {
			steps = "compile + run"
		}
		ratio := float64(percentile(api, .5)) / float64(percentile(bare, .5))
		rows = append(rows,
			row{fmt.Sprintf("%s hello, bare %s as root (baseline)", name, steps), ms(percentile(bare, .5)), ms(percentile(bare, .95)), "no isolation"},
			row{fmt.Sprintf("%s hello, `POST /execute` (%s in the sandbox)", name, steps), ms(percentile(api, .5)), ms(percentile(api, .95)), fmt.Sprintf("**p50 ratio %.2f× bare**", ratio)},
		)
		if len(d.Compile) == 0 {
			continue
		}
		same := fresh(d.Hello)
		if err := postLanguage(s.url, name, same); err != nil { // the miss that fills the cache
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		hits, err := timeN(n, func() error { return postLanguage(s.url, name, same) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rows = append(rows, row{fmt.Sprintf("%s hello, `POST /execute`, compile cache hit (run only)", name), ms(percentile(hits, .5)), ms(percentile(hits, .95)),
			fmt.Sprintf("%.2f× the miss; %.2f× bare compile + run", float64(percentile(hits, .5))/float64(percentile(api, .5)), float64(percentile(hits, .5))/float64(percentile(bare, .5)))})
	}
	return rows, nil
}

func postLanguage(url, language, code string) error {
	body, _ := json.Marshal(map[string]string{"code": code, "language": language})
	resp, err := client.Post(url+"/api/v1/code/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct{ Output, Status string }
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &r) != nil || r.Status != "success" || !strings.Contains(r.Output, "Hello, World!") {
		return fmt.Errorf("execute: %d %.500s", resp.StatusCode, raw)
	}
	return nil
}

// bareHello compiles and runs the hello-world with the descriptor's argv
// in a fresh temp dir (its /tmp: caches start empty, as in the sandbox).
func bareHello(d lang.Descriptor) error {
	dir, err := os.MkdirTemp("", "runblock-bench-lang-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, d.FileName), []byte(d.Hello), 0o600); err != nil {
		return err
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "TMPDIR=" + dir, "LANG=C.UTF-8"}
	for k, v := range d.Env {
		env = append(env, k+"="+strings.Replace(v, "/tmp", dir, 1))
	}
	step := func(argv []string) ([]byte, error) {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %.300s", argv[0], err, out)
		}
		return out, nil
	}
	if len(d.Compile) > 0 {
		if _, err := step(d.Compile); err != nil {
			return err
		}
	}
	out, err := step(d.Run)
	if err == nil && !bytes.Contains(out, []byte("Hello, World!")) {
		err = fmt.Errorf("printed %q", out)
	}
	return err
}
