package catalog

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Browser is what runblock serves of Pyodide, read from the distribution
// directory itself (the embedded npm runtime or an operator's full
// release), so GET /environments describes what a browser can really load.
type Browser struct {
	Available bool
	// Why is set when Available is false.
	Why string
	// Version is Pyodide's; Python the interpreter's.
	Version string
	Python  string
	// Packages are "name==version" of the importable packages whose wheel
	// and every dependency's file are present.
	Packages []string
	// Listed is how many packages the lock file names (served or not).
	Listed int
	// Operator is true when the files come from browser.pyodide_dir.
	Operator bool
}

// runtimeFiles are what the loader fetches before any package.
var runtimeFiles = []string{"pyodide.mjs", "pyodide-lock.json", "pyodide.asm.wasm", "python_stdlib.zip"}

type lockFile struct {
	Info struct {
		Python  string `json:"python"`
		Version string `json:"version"`
	} `json:"info"`
	Packages map[string]struct {
		Name     string   `json:"name"`
		Version  string   `json:"version"`
		FileName string   `json:"file_name"`
		Depends  []string `json:"depends"`
		Imports  []string `json:"imports"`
	} `json:"packages"`
}

// InspectPyodide reads the distribution in dir (the directory served as
// /pyodide/). A missing or unreadable runtime makes it unavailable, with
// the reason.
func InspectPyodide(dir fs.FS, operator bool) Browser {
	b := Browser{Packages: []string{}, Operator: operator}
	for _, f := range runtimeFiles {
		if !isFile(dir, f) {
			b.Why = "the Pyodide runtime is not served (" + f + " is missing; run make ui)"
			return b
		}
	}
	if !isFile(dir, "pyodide.asm.mjs") && !isFile(dir, "pyodide.asm.js") {
		b.Why = "the Pyodide runtime is not served (pyodide.asm.mjs is missing)"
		return b
	}
	data, err := fs.ReadFile(dir, "pyodide-lock.json")
	if err != nil {
		b.Why = "pyodide-lock.json: " + err.Error()
		return b
	}
	var lock lockFile
	if err := json.Unmarshal(data, &lock); err != nil {
		b.Why = fmt.Sprintf("pyodide-lock.json: %v", err)
		return b
	}
	b.Available, b.Python, b.Version = true, lock.Info.Python, lock.Info.Version
	// 314's lock file no longer names the Pyodide version; its package.json does.
	if pj, err := fs.ReadFile(dir, "package.json"); err == nil {
		var p struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(pj, &p) == nil && p.Version != "" {
			b.Version = p.Version
		}
	}
	b.Listed = len(lock.Packages)

	// A package is usable when its file is here and so are its dependencies'
	// (loadPackage fetches them all); memoised, cycles count as missing.
	usable := map[string]bool{}
	var ok func(name string, seen map[string]bool) bool
	ok = func(name string, seen map[string]bool) bool {
		if v, done := usable[name]; done {
			return v
		}
		p, found := lock.Packages[name]
		if !found || seen[name] {
			return false
		}
		seen[name] = true
		v := localFile(p.FileName) && isFile(dir, p.FileName)
		for _, d := range p.Depends {
			v = v && ok(strings.ToLower(d), seen)
		}
		usable[name] = v
		return v
	}
	for name, p := range lock.Packages {
		// Only what a program can import: shared libraries and unvendored
		// test suites are dependencies, not packages a learner names.
		if len(p.Imports) == 0 || !ok(name, map[string]bool{}) {
			continue
		}
		b.Packages = append(b.Packages, name+"=="+p.Version)
	}
	sort.Strings(b.Packages)
	return b
}

// localFile rejects absolute URLs and paths that climb out: the page
// fetches only from its own origin.
func localFile(name string) bool {
	return name != "" && !strings.Contains(name, "://") && fs.ValidPath(name)
}

func isFile(dir fs.FS, name string) bool {
	fi, err := fs.Stat(dir, name)
	return err == nil && fi.Mode().IsRegular()
}
