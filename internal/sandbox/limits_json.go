package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// limitsFields is Limits without its JSON methods.
type limitsFields Limits

// MarshalJSON writes wall_time as a duration string ("20s"), the one form
// operators write timeouts in.
func (l Limits) MarshalJSON() ([]byte, error) {
	out := struct {
		limitsFields
		WallTime string `json:"wall_time,omitempty"`
	}{limitsFields: limitsFields(l)}
	if l.WallTime != 0 {
		out.WallTime = l.WallTime.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads wall_time as a duration string; a bare number is
// taken as nanoseconds, as configuration files written before it was a
// string have it. Unknown fields are errors (a typo must not leave a
// default in place).
func (l *Limits) UnmarshalJSON(b []byte) error {
	var in struct {
		*limitsFields
		WallTime json.RawMessage `json:"wall_time"`
	}
	in.limitsFields = (*limitsFields)(l)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	raw := bytes.TrimSpace(in.WallTime)
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("wall_time: %w", err)
		}
		l.WallTime = d
	default:
		var ns int64
		if err := json.Unmarshal(raw, &ns); err != nil {
			return errors.New("wall_time: want a duration string such as \"20s\"")
		}
		l.WallTime = time.Duration(ns)
	}
	return nil
}
