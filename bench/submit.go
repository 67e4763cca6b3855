package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A 10-test Python exercise: 5 plain test functions (visible) and a hidden
// unittest class of 5, graded against a correct solution.
var submitLesson = "# Bench\n\n```python {runnable id=fizz}\ndef fizzbuzz(n):\n    return str(n)\n```\n\n" +
	"```python {tests for=fizz}\n" +
	"def test_1():\n    assert fizzbuzz(1) == '1'\n" +
	"def test_3():\n    assert fizzbuzz(3) == 'Fizz'\n" +
	"def test_5():\n    assert fizzbuzz(5) == 'Buzz'\n" +
	"def test_15():\n    assert fizzbuzz(15) == 'FizzBuzz'\n" +
	"def test_7():\n    assert fizzbuzz(7) == '7'\n```\n\n" +
	"```python {tests for=fizz hidden}\nimport unittest\nclass Hidden(unittest.TestCase):\n" +
	"    def test_30(self):\n        self.assertEqual(fizzbuzz(30), 'FizzBuzz')\n" +
	"    def test_9(self):\n        self.assertEqual(fizzbuzz(9), 'Fizz')\n" +
	"    def test_10(self):\n        self.assertEqual(fizzbuzz(10), 'Buzz')\n" +
	"    def test_range(self):\n        self.assertEqual([fizzbuzz(i) for i in range(1, 4)], ['1', '2', 'Fizz'])\n" +
	"    def test_type(self):\n        self.assertIsInstance(fizzbuzz(2), str)\n```\n\n" +
	"```python {runnable id=plain}\ndef fizzbuzz(n):\n    return str(n)\n```\n\n```python {tests for=plain hidden}\n" + plainTests() + "```\n"

// plainTests are 10 plain test functions: no unittest to import.
func plainTests() string {
	var b strings.Builder
	for i, c := range [][2]string{{"1", "1"}, {"3", "Fizz"}, {"5", "Buzz"}, {"15", "FizzBuzz"}, {"7", "7"}, {"30", "FizzBuzz"}, {"9", "Fizz"}, {"10", "Buzz"}, {"11", "11"}, {"45", "FizzBuzz"}} {
		fmt.Fprintf(&b, "def test_%d():\n    assert fizzbuzz(%s) == '%s'\n", i, c[0], c[1])
	}
	return b.String()
}

const submitSolution = "def fizzbuzz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n    if n % 3 == 0:\n        return 'Fizz'\n" +
	"    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)\n"

// submitRows times POST /submit of the 10-test exercise against POST
// /execute of the same solution alone, on a server of its own (it needs
// the lesson). What a submission adds over a run is the harness: reading
// the tests, importing unittest, compiling the tests, installing the
// guard and running the tests; the tests' own run time comes from their
// time_ms, so the rest is start-up.
func submitRows(ctx context.Context, bin string, n int) ([]row, error) {
	dir, err := os.MkdirTemp("", "runblock-bench-content-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "bench.md"), []byte(submitLesson), 0o644); err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, bin, map[string]string{"RUNBLOCK_CONTENT_DIR": dir}, unlimited)
	if err != nil {
		return nil, err
	}
	defer srv.cmd.Process.Kill()
	n = min(n, 100)
	var sub, plain, exe, tests, cpu []time.Duration
	for i := 0; i < n+3; i++ {
		start := time.Now()
		total, c, err := postSubmit(srv.url, "fizz")
		if err != nil {
			return nil, err
		}
		d := time.Since(start)
		start = time.Now()
		if _, _, err := postSubmit(srv.url, "plain"); err != nil {
			return nil, err
		}
		pd := time.Since(start)
		start = time.Now()
		if err := postExecute(srv.url, submitSolution); err != nil {
			return nil, err
		}
		e := time.Since(start)
		if i < 3 {
			continue // warm-up
		}
		sub, plain, exe, tests, cpu = append(sub, d), append(plain, pd), append(exe, e), append(tests, total), append(cpu, c)
	}
	ps, pe, pt := percentile(sub, .5), percentile(exe, .5), percentile(tests, .5)
	startup := ps - pe - pt
	// What importing the test machinery costs by itself, bare on the host
	// at the same load: the part of start-up a warm harness could save.
	bare, withTests, err := importCost(min(n, 30))
	if err != nil {
		return nil, err
	}
	return []row{
		{fmt.Sprintf("`POST /submit` 10-test Python exercise, correct solution (%d samples)", n), ms(ps), ms(percentile(sub, .95)), fmt.Sprintf("one sandbox, cold (the harness is not warm-pooled); sandbox CPU p50 %s", ms(percentile(cpu, .5)))},
		{"`POST /submit` 10 plain `test_*` functions (no unittest import)", ms(percentile(plain, .5)), ms(percentile(plain, .95)), "same solution"},
		{"`POST /execute` the same solution alone", ms(pe), ms(percentile(exe, .95)), "warm pool"},
		{"tests' own run time (sum of the 10 `time_ms`)", ms(pt), ms(percentile(tests, .95)), ""},
		{"submission overhead: tests' import/start-up (submit − execute − tests' run)", ms(startup), "", fmt.Sprintf("**%.0f %% of the submission's p50**", 100*float64(startup)/float64(ps))},
		{"bare `python3 -I -S -c pass` on the host", ms(bare), "", "interpreter start, no sandbox"},
		{"bare `python3 -I -S -c 'import json, unittest'` on the host", ms(withTests), "", fmt.Sprintf("importing unittest adds %s (%.0f %% of the submission's p50)", ms(withTests-bare), 100*float64(withTests-bare)/float64(ps))},
	}, nil
}

func importCost(n int) (bare, withTests time.Duration, err error) {
	var a, b []time.Duration
	for i := 0; i < n; i++ {
		for _, c := range []struct {
			code string
			into *[]time.Duration
		}{{"pass", &a}, {"import json, unittest", &b}} {
			start := time.Now()
			if err := exec.Command("/usr/bin/python3", "-I", "-S", "-c", c.code).Run(); err != nil {
				return 0, 0, err
			}
			*c.into = append(*c.into, time.Since(start))
		}
	}
	return percentile(a, .5), percentile(b, .5), nil
}

func postSubmit(url, block string) (tests, cpu time.Duration, err error) {
	body, _ := json.Marshal(map[string]string{"content_id": "bench", "code_block_id": block, "code": submitSolution})
	resp, err := client.Post(url+"/api/v1/code/submit", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r struct {
		Status  string
		CPUTime float64 `json:"cpu_time"`
		Total   int
		Tests   []struct {
			TimeMS float64 `json:"time_ms"`
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(raw, &r) != nil || r.Status != "passed" || r.Total != 10 {
		return 0, 0, fmt.Errorf("submit: %d %.300s", resp.StatusCode, raw)
	}
	var sum float64
	for _, t := range r.Tests {
		sum += t.TimeMS
	}
	return time.Duration(sum * float64(time.Millisecond)), time.Duration(r.CPUTime * float64(time.Second)), nil
}
