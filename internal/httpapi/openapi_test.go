package httpapi

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/openapi"
)

// route is a pattern registered on the server's mux, found in the source.
type route struct {
	method, path string // path in OpenAPI's spelling: {name...} becomes {name}
	where        string // file:line
}

// catchAlls answer what no route does (the JSON 404, the page); they are
// not endpoints.
var catchAlls = []string{"/api/", "/"}

var wildcardRest = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`)

// registeredRoutes reads every pattern passed to s.handle, s.mux.Handle or
// s.mux.HandleFunc in this package's non-test files. It reads the source
// rather than the mux because http.ServeMux can't list its patterns.
func registeredRoutes(t *testing.T) []route {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []route
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			// handle itself passes its argument on; its callers are what count.
			if !ok || fn.Body == nil || fn.Name.Name == "handle" {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 || !isRegistration(call.Fun) {
					return true
				}
				where := fset.Position(call.Pos()).String()
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: route pattern is not a string literal; the OpenAPI coverage test reads patterns from the source, so write it out", where)
					return true
				}
				pattern, _ := strconv.Unquote(lit.Value)
				method, path, hasMethod := strings.Cut(pattern, " ")
				if !hasMethod {
					if !slices.Contains(catchAlls, pattern) {
						t.Errorf("%s: route %q has no method; register \"METHOD /path\" so it can be documented", where, pattern)
					}
					return true
				}
				out = append(out, route{method: method, path: wildcardRest.ReplaceAllString(path, "{$1}"), where: where})
				return true
			})
		}
	}
	return out
}

func isRegistration(fun ast.Expr) bool {
	sel, ok := fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	switch sel.Sel.Name {
	case "handle":
		return true
	case "Handle", "HandleFunc":
		inner, ok := sel.X.(*ast.SelectorExpr)
		return ok && inner.Sel.Name == "mux"
	}
	return false
}

// documentedOperations returns "METHOD /path" for each operation in the
// served document.
func documentedOperations(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				ops[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	return ops
}

// TestEveryRouteIsDocumented fails for an endpoint added without its entry
// in internal/openapi/openapi.yaml, and for an entry with no endpoint.
func TestEveryRouteIsDocumented(t *testing.T) {
	routes := registeredRoutes(t)
	if len(routes) < 10 {
		t.Fatalf("found only %d routes; is the source scan broken?", len(routes))
	}
	ops := documentedOperations(t)
	seen := map[string]bool{}
	for _, r := range routes {
		key := r.method + " " + r.path
		seen[key] = true
		if !ops[key] {
			t.Errorf("route %s (%s) is not in the OpenAPI document: add paths.%q.%s to internal/openapi/openapi.yaml, with every status it can answer",
				key, r.where, r.path, strings.ToLower(r.method))
		}
	}
	for op := range ops {
		if !seen[op] {
			t.Errorf("the OpenAPI document describes %s, which no route serves", op)
		}
	}
}

// TestOpenAPIIsServed checks the endpoint answers the document as JSON.
func TestOpenAPIIsServed(t *testing.T) {
	want, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Body.String() != string(want) {
		t.Fatal("served document differs from openapi.JSON()")
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/openapi.json", strings.NewReader("{}")))
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET" {
		t.Fatalf("POST: status %d, Allow %q; want 405, GET", rec.Code, rec.Header().Get("Allow"))
	}
}
