package frontdoor

import (
	"regexp"
	"slices"
	"strings"
)

// preloaded are the libraries a warm flavour imports ahead, by the
// top-level name a program imports, with what to import for it.
var preloaded = map[string]string{
	"numpy":      "numpy",
	"pandas":     "pandas",
	"matplotlib": "matplotlib.pyplot",
}

var importLine = regexp.MustCompile(`(?m)^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import|import[ \t]+([^\n#;]+))`)

// preloads names the libraries to import ahead for code: a cheap scan of
// its import statements (a miss costs only speed, never correctness: the
// program imports what it imports either way). Sorted, comma-separated.
func preloads(code []byte) string {
	var mods []string
	add := func(name string) {
		top, _, _ := strings.Cut(strings.TrimSpace(name), ".")
		if m, ok := preloaded[top]; ok && !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	for _, m := range importLine.FindAllSubmatch(code, -1) {
		if len(m[1]) > 0 {
			add(string(m[1]))
			continue
		}
		for _, part := range strings.Split(string(m[2]), ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			add(name)
		}
	}
	slices.Sort(mods)
	return strings.Join(mods, ",")
}
