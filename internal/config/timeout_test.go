package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A default timeout no request may ask for is a configuration mistake.
func TestTimeoutOverMaxIsRefused(t *testing.T) {
	c := Default()
	c.Auth.AllowAnonymous = true
	c.Limits.Timeout = Duration{60 * time.Second}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "limits.timeout") || !strings.Contains(err.Error(), "max_timeout") {
		t.Fatalf("timeout 60s over max 30s: %v", err)
	}
	c.Limits.MaxTimeout = Duration{60 * time.Second}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Old keys still work, each with a note saying what replaces it.
func TestDeprecatedKeysAreMoved(t *testing.T) {
	c := Default()
	err := c.Parse(strings.NewReader(`{"sandbox":{"uid_base":62000,"bwrap_path":"/opt/bwrap"},"limits":{"max_timeout_seconds":10,"timeout":"5s"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sandbox.Bwrap.UIDBase != 62000 || c.Sandbox.Bwrap.Path != "/opt/bwrap" || c.Limits.MaxTimeout.Duration != 10*time.Second {
		t.Fatalf("%+v %+v", c.Sandbox, c.Limits)
	}
	if n := c.Notes(); len(n) != 3 || !strings.Contains(strings.Join(n, "\n"), "limits.max_timeout_seconds is deprecated") {
		t.Fatalf("notes %q", n)
	}
}

// Every timeout in a configuration is a duration string, compile limits
// included.
func TestTimeoutsAreDurationStrings(t *testing.T) {
	b, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, `"wall_time":"20s"`) || !strings.Contains(s, `"max_timeout":"30s"`) || strings.Contains(s, "20000000000") {
		t.Fatalf("config: %s", s)
	}
	c := Default()
	if err := c.Parse(strings.NewReader(`{"languages":{"c":{"name":"c","file_name":"main.c","run":["./main"],"compile":["cc"],"compile_limits":{"wall_time":"15s"}}}}`)); err != nil {
		t.Fatal(err)
	}
	if c.Languages["c"].CompileLimits.WallTime != 15*time.Second {
		t.Fatalf("%+v", c.Languages["c"].CompileLimits)
	}
}
