package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testServer is `runblock serve` started through run() on 127.0.0.1:0.
type testServer struct {
	URL    string
	cancel context.CancelFunc
	done   chan error
}

// testConfig lifts the anonymous quota so tests that are not about rate
// limits are not throttled by them.
const testConfig = `{"rate_limit": {"per_role": {"anonymous": 100000, "user": 100000, "author": 100000, "service": 0}}}`

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "runblock.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func startServer(t *testing.T, env map[string]string, args ...string) *testServer {
	t.Helper()
	if !slices.Contains(args, "--config") {
		args = append([]string{"--config", writeConfig(t, testConfig)}, args...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	getenv := func(k string) string { return env[k] }
	full := append([]string{"runblock", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "warn", "--allow-anonymous", "--content-dir", "../../content"}, args...)
	ts := &testServer{cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, full, getenv, strings.NewReader(""), pw, os.Stderr)
		pw.Close()
		ts.done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("server did not start: %v (%v)", err, <-ts.done)
	}
	go io.Copy(io.Discard, pr)
	f := strings.Fields(line)
	for _, w := range f {
		if strings.HasPrefix(w, "http://") {
			ts.URL = w
		}
	}
	if ts.URL == "" {
		t.Fatalf("no address in %q", line)
	}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

func (ts *testServer) stop(t *testing.T) {
	ts.cancel()
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
		ts.done <- nil
	case <-time.After(15 * time.Second):
		t.Error("server did not shut down")
	}
}

func postJSON(t *testing.T, url, body string) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %q", resp.StatusCode, raw)
	}
	return resp, m
}

func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.String()
}
