package openapi_test

import (
	"testing"

	"github.com/runblock/runblock/internal/openapi/openapitest"
)

// TestEventSchemasAreStrict: the events of the two streams are checked
// field by field, so the live test catches an undocumented event field.
func TestEventSchemasAreStrict(t *testing.T) {
	d, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	const result = `{"name":"a","suite":"s","hidden":false,"passed":true,"message":"","time_ms":1}`
	const submission = `{"id":"x","content_id":"l","code_block_id":"b","status":"passed","passed":1,"failed":0,"total":1,"tests":[` + result + `],"message":null,"output":"","error":null,"execution_time":0.1,"cpu_time":0.1,"solved":true}`
	cases := []struct {
		schema, event string
		ok            bool
	}{
		{"SubmissionEvent", `{"type":"test","test":` + result + `}`, true},
		{"SubmissionEvent", `{"type":"tests","tests":[` + result + `]}`, true},
		{"SubmissionEvent", `{"type":"queued","position":1,"estimated_wait":0.5}`, true},
		{"SubmissionEvent", `{"type":"complete","id":"x","status":"passed","execution_time":0.1,"submission":` + submission + `}`, true},
		{"SubmissionEvent", `{"type":"complete","status":"cancelled","execution_time":0,"truncated":false,"code":"cancelled"}`, true},
		{"SubmissionEvent", `{"type":"test","test":{"name":"a","suite":"s","hidden":false,"passed":true,"message":"","time_ms":1,"code":"secret"}}`, false},
		{"SubmissionEvent", `{"type":"test","extra":1,"test":` + result + `}`, false},
		{"SubmissionEvent", `{"type":"test","test":{"name":"a","suite":"s","hidden":false,"passed":true,"message":""}}`, false},
		{"SubmissionEvent", `{"type":"complete","id":"x","status":"passed","execution_time":0.1,"submission":{"id":"x"}}`, false},
		{"SubmissionEvent", `{"type":"complete","id":"x","status":"success","execution_time":0.1,"submission":` + submission + `}`, false},
		{"SubmissionEvent", `{"type":"nope"}`, false},
		{"ExecutionEvent", `{"type":"output","content":"x"}`, true},
		{"ExecutionEvent", `{"type":"output","content":"x","extra":1}`, false},
		{"ExecutionEvent", `{"type":"complete","status":"success","execution_time":0,"truncated":false,"extra":1}`, false},
	}
	for _, c := range cases {
		errs := d.CheckSchema(c.schema, []byte(c.event))
		if c.ok && len(errs) > 0 {
			t.Errorf("%s rejects %s: %v", c.schema, c.event, errs)
		}
		if !c.ok && len(errs) == 0 {
			t.Errorf("%s accepts %s", c.schema, c.event)
		}
	}
}
