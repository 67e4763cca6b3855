// Package openapitest checks real HTTP exchanges against runblock's OpenAPI
// document. Only tests import it, so the validator stays out of the binary.
package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/runblock/runblock/internal/openapi"
)

// Doc is the parsed document with a response validator.
type Doc struct {
	Model     *v3.Document
	validator validator.Validator
	// lenient checks answers whose body is not runblock's data: the
	// document itself (tested on its own) is not described field by field.
	lenient validator.Validator
	schemas schema_validation.SchemaValidator
}

var lenientPaths = []string{"/api/v1/openapi.json"}

// mapPaths are objects keyed by data (a count per language), described by
// additionalProperties: strict mode would take their keys for undeclared
// fields.
var mapPaths = []string{"$.body.by_language.*", "$.body.by_environment.*"}

// headersEveryResponse are set by the middleware on every answer; they are
// described once in the document's conventions rather than on each response.
var headersEveryResponse = []string{
	"Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy", "Cross-Origin-Resource-Policy",
	"X-Content-Type-Options", "Vary", "Set-Cookie", "Access-Control-Allow-Origin",
	"Access-Control-Allow-Credentials", "Access-Control-Expose-Headers",
}

// Load parses the embedded document (served JSON, not the YAML, so what is
// checked is what clients get).
func Load() (*Doc, error) {
	raw, err := openapi.JSON()
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build model: %w", err)
	}
	// Strict mode reports every response field and header the document does
	// not declare, so an undocumented addition fails the live tests even
	// though the document leaves objects open for clients.
	v, errs := validator.NewValidator(doc, config.WithStrictMode(), config.WithStrictIgnoredHeadersExtra(headersEveryResponse...),
		config.WithStrictIgnorePaths(mapPaths...))
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator: %v", errs)
	}
	lenient, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator: %v", errs)
	}
	return &Doc{Model: &m.Model, validator: v, lenient: lenient, schemas: schema_validation.NewSchemaValidator(config.WithStrictMode())}, nil
}

// ValidateDocument checks the document against the OpenAPI 3.1 schema.
func (d *Doc) ValidateDocument() []string {
	_, errs := d.validator.ValidateDocument()
	return describe(errs)
}

// CheckResponse validates one answer (status declared for the operation,
// body and declared headers matching) and returns what is wrong. body is
// the response body already read; resp.Body is replaced with a copy.
func (d *Doc) CheckResponse(req *http.Request, resp *http.Response, body []byte) []string {
	resp.Body = io.NopCloser(bytes.NewReader(body))
	v := d.validator
	if slices.Contains(lenientPaths, req.URL.Path) {
		v = d.lenient
	}
	_, errs := v.ValidateHttpResponse(req, resp)
	return describe(errs)
}

// CheckRequest validates a request the way a client would send it.
func (d *Doc) CheckRequest(req *http.Request) []string {
	_, errs := d.validator.ValidateHttpRequestSync(req)
	return describe(errs)
}

// Schema returns a named component schema.
func (d *Doc) Schema(name string) (*base.Schema, error) {
	p, ok := d.Model.Components.Schemas.Get(name)
	if !ok {
		return nil, fmt.Errorf("no schema %q in components", name)
	}
	return p.Schema(), nil
}

// CheckSchema validates a JSON value against a named component schema,
// strictly: a field the schema does not declare is an error too.
func (d *Doc) CheckSchema(name string, payload []byte) []string {
	s, err := d.Schema(name)
	if err != nil {
		return []string{err.Error()}
	}
	_, errs := d.schemas.ValidateSchemaBytes(s, payload)
	if out := describe(errs); len(out) > 0 {
		return out
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return []string{err.Error()}
	}
	return d.undeclared(s, v, "$")
}

func describe[E interface{ Error() string }](errs []E) []string {
	var out []string
	for _, e := range errs {
		msg := e.Error()
		if se, ok := any(e).(interface{ SchemaFailures() []string }); ok {
			msg += " " + strings.Join(se.SchemaFailures(), "; ")
		}
		out = append(out, msg)
	}
	return out
}
