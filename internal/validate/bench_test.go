package validate

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkValidate50Lines measures one validation of a typical lesson
// snippet on the host runtime: mostly interpreter start-up. The lead
// measures the same on bubblewrap.
func BenchmarkValidate50Lines(b *testing.B) {
	v := newHostValidator(b, Options{})
	var src strings.Builder
	src.WriteString("import math\nfrom collections import Counter\n\n")
	for i := 0; i < 9; i++ {
		fmt.Fprintf(&src, "def step%d(values):\n    total = 0\n    for v in values:\n        total += math.sqrt(v)\n    return total\n\n", i)
	}
	src.WriteString("print(step0(range(10)))\nprint(Counter('hello'))\n")
	code := src.String()
	if n := strings.Count(code, "\n"); n < 50 || n > 60 {
		b.Fatalf("snippet has %d lines", n)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		res, err := v.Validate(ctx, Request{Code: code})
		if err != nil || !res.Valid {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
