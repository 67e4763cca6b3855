// Package openapi holds runblock's API contract: one OpenAPI 3.1 document,
// written by hand in YAML (readable in review) and served as JSON.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml
var source []byte

// YAML is the document as written.
func YAML() []byte { return source }

var (
	once    sync.Once
	jsonDoc []byte
	jsonErr error
)

// JSON is the document as JSON, converted once. An error means the embedded
// YAML is broken, which the package's tests catch before a release.
func JSON() ([]byte, error) {
	once.Do(func() { jsonDoc, jsonErr = toJSON(source) })
	return jsonDoc, jsonErr
}

func toJSON(y []byte) ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(y, &doc); err != nil {
		return nil, fmt.Errorf("openapi: parse YAML: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		// yaml.v3 decodes mappings with string keys to map[string]any; a
		// non-string key (e.g. an unquoted 200) lands here.
		return nil, fmt.Errorf("openapi: to JSON: %w", err)
	}
	return b, nil
}
