package openapitest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/high/base"
)

// undeclared lists the fields of v that s does not declare. The schema
// validator's strict mode covers HTTP bodies only; events inside a stream
// are checked with this, so an undocumented event field fails too.
func (d *Doc) undeclared(s *base.Schema, v any, at string) []string {
	if s == nil {
		return nil
	}
	switch v := v.(type) {
	case []any:
		if s.Items == nil || !s.Items.IsA() {
			return nil
		}
		var out []string
		for i, x := range v {
			out = append(out, d.undeclared(s.Items.A.Schema(), x, fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	case map[string]any:
		if branch := d.branch(s, v); branch != nil {
			return d.undeclared(branch, v, at)
		}
		props := map[string]*base.Schema{}
		d.collect(s, props)
		open := s.AdditionalProperties != nil && (s.AdditionalProperties.IsA() || s.AdditionalProperties.B)
		var out []string
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, ok := props[k]
			if !ok {
				if !open {
					out = append(out, fmt.Sprintf("%s.%s is not declared in the schema", at, k))
				}
				continue
			}
			out = append(out, d.undeclared(p, v[k], at+"."+k)...)
		}
		return out
	}
	return nil
}

// collect gathers the declared properties of s and of its allOf parts.
func (d *Doc) collect(s *base.Schema, into map[string]*base.Schema) {
	if s.Properties != nil {
		for k, p := range s.Properties.FromOldest() {
			into[k] = p.Schema()
		}
	}
	for _, part := range s.AllOf {
		d.collect(part.Schema(), into)
	}
}

// branch picks the oneOf/anyOf alternative v is: by the discriminator when
// there is one, else the first whose required fields v all has.
func (d *Doc) branch(s *base.Schema, v map[string]any) *base.Schema {
	alts := append(append([]*base.SchemaProxy{}, s.OneOf...), s.AnyOf...)
	if len(alts) == 0 {
		return nil
	}
	if s.Discriminator != nil && s.Discriminator.Mapping != nil {
		tag, _ := v[s.Discriminator.PropertyName].(string)
		if ref, ok := s.Discriminator.Mapping.Get(tag); ok {
			if sch, err := d.Schema(strings.TrimPrefix(ref, "#/components/schemas/")); err == nil {
				return sch
			}
		}
	}
	for _, a := range alts {
		sch := a.Schema()
		if sch != nil && hasAll(v, sch.Required) {
			return sch
		}
	}
	return nil
}

func hasAll(v map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := v[k]; !ok {
			return false
		}
	}
	return true
}
