package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValidAndSeedShaped(t *testing.T) {
	c := Default()
	// No way to identify callers: refuse rather than serve everyone unlimited.
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Fatalf("default without auth accepted: %v", err)
	}
	c.Auth.AllowAnonymous = true
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RateLimit.PerRole["user"] != 10 || c.RateLimit.Period.Duration != time.Minute || c.RateLimit.CheckMultiplier != 6 {
		t.Fatalf("not the seed's 10/min: %+v", c.RateLimit)
	}
	l := c.SandboxLimits()
	if l.MemoryBytes != 128<<20 || l.CPUs != 0.5 || l.WallTime != 30*time.Second || l.OutputChars != 10000 || l.Pids != 64 {
		t.Fatalf("not the seed's limits: %+v", l)
	}
}

func TestParseOverridesAndRejectsUnknownFields(t *testing.T) {
	c := Default()
	if err := c.Parse(strings.NewReader(`{"addr":":9000","limits":{"memory_mb":256,"cpus":0.5,"timeout":"10s","pids":64,"output_chars":100,"tmp_mb":8,"max_timeout_seconds":10}}`)); err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.Limits.MemoryMB != 256 || c.Limits.Timeout.Duration != 10*time.Second {
		t.Fatalf("%+v", c)
	}
	if err := c.Parse(strings.NewReader(`{"adr":":1"}`)); err == nil || !strings.Contains(err.Error(), "adr") {
		t.Fatalf("unknown field accepted: %v", err)
	}
	if err := c.Parse(strings.NewReader(`{"queue_wait":5}`)); err == nil {
		t.Fatal("numeric duration accepted")
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	c := Default()
	c.RateLimit.Backend = "redis"
	c.CORS = CORS{AllowedOrigins: []string{"*"}, AllowCredentials: true}
	c.Limits.MemoryMB = 1
	c.MaxConcurrent = -1
	c.MaxWaitingPerUser = 0
	c.LogFormat = "xml"
	c.Sandbox.Bwrap.UIDBase = 0
	c.RateLimit.CheckMultiplier = 0
	c.Auth.SessionKey = "too short"
	err := c.Validate()
	for _, field := range []string{"limits.memory_mb", "max_concurrent", "max_waiting_per_user", "log_format", "sandbox.bwrap.uid_base", "redis_url", "cors.allowed_origins[0]", "auth",
		"rate_limit.check_multiplier", "auth.session_key"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
}

func TestValidationPolicies(t *testing.T) {
	c := Default()
	c.Auth.AllowAnonymous = true
	if c.Validation.ExecutePolicy != "teaching" || c.Validation.DefaultPolicy != "teaching" {
		t.Fatalf("default policies %+v, want teaching", c.Validation)
	}
	for _, v := range []Validation{
		{ExecutePolicy: "strict", DefaultPolicy: "strict"},
		{ExecutePolicy: "off", DefaultPolicy: "teaching"},
		{ExecutePolicy: "sandbox-only", DefaultPolicy: "sandbox-only"},
	} {
		c.Validation = v
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", v, err)
		}
	}
	c.Validation = Validation{ExecutePolicy: "lenient", DefaultPolicy: "off"}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `validation.execute_policy: must be teaching, strict, sandbox-only or off, not "lenient"`) ||
		!strings.Contains(err.Error(), "validation.default_policy: must be teaching, strict or sandbox-only") {
		t.Fatalf("bad policies: %v", err)
	}
}
