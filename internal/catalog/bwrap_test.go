package catalog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/catalog"
	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
)

// TestMissingToolchainIsUnavailable: probed in the real sandbox, a
// language whose toolchain isn't installed is listed as unavailable with
// the reason, and the others are unaffected.
func TestMissingToolchainIsUnavailable(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	set := lang.Set{"bash": lang.Builtins()["bash"], "ghost": {
		Language:     sandbox.Language{Name: "ghost", FileName: "main.gh", Run: []string{"/usr/bin/ghost-lang", "main.gh"}},
		VersionProbe: &lang.Probe{Argv: []string{"/usr/bin/ghost-lang", "--version"}, Pattern: `(\S+)`},
		Hello:        "say 'Hello, World!'",
	}}
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	c := catalog.New(rt, rt.Check, "bwrap", set, sandbox.Limits{MemoryBytes: 128 << 20})
	var server catalog.Environment
	for _, e := range c.Environments(context.Background()) {
		if e.ID == "server" {
			server = e
		}
	}
	if !server.Available || len(server.Languages) != 2 {
		t.Fatalf("server %+v", server)
	}
	bash, ghost := server.Languages[0], server.Languages[1]
	if bash.Available == nil || !*bash.Available || !strings.HasPrefix(bash.Version, "bash 5.") {
		t.Errorf("bash %+v", bash)
	}
	t.Logf("ghost: %s", ghost.Reason)
	if ghost.Available == nil || *ghost.Available || ghost.Version != "" || !strings.Contains(ghost.Reason, "/usr/bin/ghost-lang") {
		t.Errorf("ghost %+v (reason %q)", ghost, ghost.Reason)
	}
}
