package container

import (
	"encoding/json"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/runblock/runblock/internal/sandbox/bwrap"
)

// seccompProfile is bubblewrap's allowlist as an engine seccomp profile.
// The engines' default profiles are denylists that allow what runblock's
// filter denies (Podman's allows unshare for nested containers, both allow
// any socket family and the 32-bit syscall table on x86_64); the same
// filter on both runtimes keeps one set of guarantees.
func seccompProfile() string {
	allowed, families := bwrap.SyscallPolicy()
	type arg struct {
		Index uint   `json:"index"`
		Value uint64 `json:"value"`
		Op    string `json:"op"`
	}
	type rule struct {
		Names    []string `json:"names"`
		Action   string   `json:"action"`
		ErrnoRet *uint    `json:"errnoRet,omitempty"`
		Args     []arg    `json:"args,omitempty"`
	}
	rules := []rule{{Names: allowed, Action: "SCMP_ACT_ALLOW"}}
	for _, f := range families {
		rules = append(rules, rule{Names: []string{"socket"}, Action: "SCMP_ACT_ALLOW", Args: []arg{{0, f, "SCMP_CMP_EQ"}}})
		if f == unix.AF_UNIX {
			rules = append(rules, rule{Names: []string{"socketpair"}, Action: "SCMP_ACT_ALLOW", Args: []arg{{0, f, "SCMP_CMP_EQ"}}})
		}
	}
	enosys := uint(unix.ENOSYS)
	rules = append(rules, rule{Names: []string{"clone3"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &enosys})
	eperm := uint(unix.EPERM)
	// Only the native table: listing no other architecture leaves the
	// 32-bit int 0x80 table to the default action.
	archs := map[string]string{"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64"}
	b, _ := json.Marshal(struct {
		DefaultAction   string   `json:"defaultAction"`
		DefaultErrnoRet *uint    `json:"defaultErrnoRet"`
		Architectures   []string `json:"architectures"`
		Syscalls        []rule   `json:"syscalls"`
	}{"SCMP_ACT_ERRNO", &eperm, []string{archs[runtime.GOARCH]}, rules})
	return string(b)
}
