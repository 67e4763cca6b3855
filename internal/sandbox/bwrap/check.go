package bwrap

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// Check probes what isolation this host gives and runs one real sandbox.
func (r *Runtime) Check(ctx context.Context) sandbox.Report {
	rep := sandbox.Report{Runtime: "bwrap", Strong: true}
	add := func(name string, ok, required bool, detail string) {
		rep.Items = append(rep.Items, sandbox.CheckResult{Name: name, OK: ok, Required: required, Detail: detail})
		if required && !ok {
			rep.Strong = false
		}
	}
	add("bwrap", true, true, r.cfg.BwrapPath)
	add("unprivileged uid", r.dropPriv, true, fmt.Sprintf("sandboxes run as %d leased uids from %d", len(r.uids), r.uids[0]))
	add("cgroups", r.cg != nil, true, "mode "+r.Mode()+" (memory, pids, cpu limits; whole-tree kill)")
	viewDetail := "per-uid overlay: a sandbox's file locks stay in its own view"
	if r.viewErr != nil {
		viewDetail = "host /usr shared, locks on its files reach the host: " + r.viewErr.Error()
	}
	add("private /usr view", r.viewErr == nil, false, viewDetail)
	netDetail := "one empty network namespace for all sandboxes (no interface up); socket(2) refused"
	if r.net == nil {
		netDetail = "a network namespace per sandbox (sharing one needs root); socket(2) refused"
	}
	add("network namespace", true, true, netDetail)
	actions, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
	add("seccomp", err == nil && strings.Contains(string(actions), "errno"), true, "allowlist, default EPERM, "+fmt.Sprint(len(r.seccomp)/8)+" BPF instructions")

	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	res, err := r.Run(ctx, sandbox.Request{
		Language: sandbox.Language{Name: "probe", FileName: "probe.sh", Run: []string{"/bin/sh", "probe.sh"}},
		Files:    []sandbox.File{{Content: []byte("id -u; cat /proc/self/uid_map | wc -l; ls /sys/class/net 2>/dev/null | tr '\\n' ' '\n")}},
		Stdout:   &out, Stderr: &errb,
		Limits: sandbox.Limits{WallTime: 10 * time.Second},
	})
	switch {
	case err != nil:
		add("sandbox run", false, true, err.Error())
	case res.Status != sandbox.StatusSuccess:
		add("sandbox run", false, true, fmt.Sprintf("status %s: %s", res.Status, strings.TrimSpace(errb.String())))
	default:
		f := strings.Fields(out.String())
		add("sandbox run", true, true, fmt.Sprintf("in %s", res.WallTime.Round(time.Millisecond)))
		add("user namespace", len(f) >= 1 && f[0] != "0", true, "uid inside: "+first(f))
		add("no network", !strings.Contains(out.String(), "eth"), true, "interfaces: "+strings.Join(f[min(2, len(f)):], " "))
	}
	return rep
}

func first(f []string) string {
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
