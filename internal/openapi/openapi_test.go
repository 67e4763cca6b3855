package openapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pb33f/jsonschema/v6"

	"github.com/runblock/runblock/internal/openapi"
	"github.com/runblock/runblock/internal/openapi/openapitest"
)

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	d, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Model.Version; got != "3.1.0" {
		t.Fatalf("openapi version %q, want 3.1.0", got)
	}
	for _, e := range d.ValidateDocument() {
		t.Error(e)
	}
}

func TestJSONIsTheYAML(t *testing.T) {
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("served document is not JSON: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	paths, _ := doc["paths"].(map[string]any)
	if _, ok := paths["/api/v1/code/execute"]; !ok {
		t.Fatalf("paths lack /api/v1/code/execute: %v", keys(paths))
	}
	if !strings.Contains(string(openapi.YAML()), "openapi: 3.1.0") {
		t.Fatal("YAML() is not the source")
	}
}

// TestOperationsFollowTheConventions holds the document to what the server
// does for every operation, so a new one can't leave out a status that
// every handler of its kind can answer.
func TestOperationsFollowTheConventions(t *testing.T) {
	d, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for path, item := range d.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			where := strings.ToUpper(method) + " " + path
			if op.OperationId == "" {
				t.Errorf("%s: no operationId", where)
			} else if prev, dup := ids[op.OperationId]; dup {
				t.Errorf("%s: operationId %q also used by %s", where, op.OperationId, prev)
			}
			ids[op.OperationId] = where
			if op.Summary == "" {
				t.Errorf("%s: no summary", where)
			}
			codes := map[string]bool{}
			for code := range op.Responses.Codes.KeysFromOldest() {
				codes[code] = true
			}
			var want []string
			if strings.HasPrefix(path, "/api/v1/code/") {
				// Every handler there identifies the caller first and can fail inside.
				want = append(want, "401", "500")
			}
			if op.RequestBody != nil {
				if _, ok := op.RequestBody.Content.Get("application/json"); ok {
					// decodeJSON: malformed, wrong type, over the body limit.
					want = append(want, "400", "413")
				}
				if op.RequestBody.Description == "" {
					t.Errorf("%s: request body without a description of its limits", where)
				}
			}
			for _, c := range want {
				if !codes[c] {
					t.Errorf("%s: responses lack %s", where, c)
				}
			}
			for code, r := range op.Responses.Codes.FromOldest() {
				if code[0] >= '4' && r.Content != nil {
					if mt, ok := r.Content.Get("application/json"); ok && !isErrorSchema(mt.Schema.GetReference()) {
						// /readyz's 503 is a readiness report, not an error.
						if path != "/readyz" {
							t.Errorf("%s %s: error body is %q, want the Error schema", where, code, mt.Schema.GetReference())
						}
					}
				}
			}
		}
	}
}

func isErrorSchema(ref string) bool {
	return ref == "#/components/schemas/Error" || ref == "#/components/schemas/Rejected"
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSchemasAreJSONSchema2020 compiles every component schema on its own
// against the JSON Schema 2020-12 meta-schema (OpenAPI 3.1's dialect): the
// OpenAPI schema itself does not look inside Schema Objects, so a typo such
// as `type: objekt` would otherwise pass.
func TestSchemasAreJSONSchema2020(t *testing.T) {
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Components.Schemas) == 0 {
		t.Fatal("no component schemas")
	}
	const base = "https://runblock.invalid/schemas/"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	for name, s := range doc.Components.Schemas {
		if err := c.AddResource(base+name, rewriteRefs(s, base)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for name := range doc.Components.Schemas {
		if _, err := c.Compile(base + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

// rewriteRefs points "#/components/schemas/X" at X's own resource.
func rewriteRefs(v any, base string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				out[k] = strings.Replace(s, "#/components/schemas/", base, 1)
				continue
			}
			out[k] = rewriteRefs(x, base)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = rewriteRefs(x, base)
		}
		return out
	}
	return v
}
