package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// fiftyLines is a typical lesson-sized program.
func fiftyLines(seed int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# variant %d\nimport math\n\n", seed)
	for i := 0; i < 11; i++ {
		fmt.Fprintf(&b, "def f%d(x):\n    if x > %d:\n        return math.sqrt(x)\n    return x * %d\n\n", i, i, i)
	}
	b.WriteString("print(sum(f0(i) for i in range(10)))\n")
	return b.String()
}

func validateRows(s *server, n int) ([]row, error) {
	// New code each time: a repeated program is answered from the verdict
	// cache without a check.
	v := 1 << 20
	lat, err := timeN(n, func() error {
		v++
		// strict named: the README's row was measured under it, before
		// teaching became the default.
		body, _ := json.Marshal(map[string]string{"code": fiftyLines(v), "language": "python", "policy": "strict"})
		resp, err := client.Post(s.url+"/api/v1/code/validate", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !bytes.Contains(raw, []byte(`"valid":true`)) {
			return fmt.Errorf("validate: %d %s", resp.StatusCode, raw)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Every run is checked first; a new program misses the verdict cache.
	i := 0
	fresh, err := timeN(n, func() error { i++; return postExecute(s.url, fiftyLines(i)) })
	if err != nil {
		return nil, err
	}
	return []row{
		{"`POST /validate`, 50-line program (AST check in the sandbox)", ms(percentile(lat, .5)), ms(percentile(lat, .95)), "strict policy, new code each time (verdict cache miss)"},
		{"`POST /execute`, 50-line program, new code each time (check + run)", ms(percentile(fresh, .5)), ms(percentile(fresh, .95)), "verdict cache miss"},
	}, nil
}
