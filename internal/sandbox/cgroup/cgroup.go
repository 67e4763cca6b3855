// Package cgroup places sandboxed processes in Linux control groups so their
// memory, CPU and process count are bounded and the whole tree can be killed
// at once. It supports the unified (v2) hierarchy and the legacy v1 layout
// (including hybrid mode, where v2 is mounted without the controllers we need).
package cgroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Limits bound one group.
type Limits struct {
	MemoryBytes int64
	CPUs        float64
	Pids        int
}

// Stats are read after the group's processes have exited.
type Stats struct {
	MemoryPeak int64
	CPUTime    time.Duration
	OOMKills   int
}

// Manager creates groups under one parent for this process.
type Manager interface {
	Mode() string
	Create(name string, l Limits) (Group, error)
	// CleanStale kills and removes groups left by instances that are gone.
	CleanStale(ctx context.Context, alive func(instance string) bool) error
	// Globs match every group of one instance (for a clean-up that must
	// work after this process is gone).
	Globs(instance string) []string
}

// Group is one sandbox's control group.
type Group interface {
	// FD returns a directory fd for SysProcAttr.CgroupFD when the hierarchy
	// supports atomic placement at clone time (v2); ok is false otherwise.
	FD() (fd int, ok bool)
	// Place moves pid (and so all its future children) into the group.
	Place(pid int) error
	Stats() (Stats, error)
	// Kill sends SIGKILL to every process in the group.
	Kill() error
	// Remove kills what is left, waits until the group is empty, and deletes it.
	Remove(ctx context.Context) error
}

// ErrUnsupported means the host has no usable cgroup hierarchy for us.
var ErrUnsupported = errors.New("cgroup: no usable memory+pids+cpu hierarchy")

// Detect picks v2 when the unified hierarchy has the memory, pids and cpu
// controllers, else v1 when the legacy controllers are mounted.
func Detect(root, parent string) (Manager, error) {
	if root == "" {
		root = "/sys/fs/cgroup"
	}
	if ctrl, err := os.ReadFile(filepath.Join(root, "cgroup.controllers")); err == nil {
		if hasAll(string(ctrl), "memory", "pids", "cpu") {
			return newV2(root, parent)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "memory", "memory.limit_in_bytes")); err == nil {
		return newV1(root, parent)
	}
	return nil, ErrUnsupported
}

func hasAll(list string, want ...string) bool {
	have := map[string]bool{}
	for _, f := range strings.Fields(list) {
		have[f] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

func writeFile(path, value string) error {
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		return fmt.Errorf("cgroup: write %s: %w", path, err)
	}
	return nil
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// readKey reads "key value" lines (memory.events, cpu.stat, oom_control).
func readKey(path, key string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("cgroup: %s has no %q", path, key)
}

func procs(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids, nil
}

// waitEmpty polls until no process is left in dir; a cgroup can't be removed
// while a dying process still belongs to it.
func waitEmpty(ctx context.Context, dir string, kill func() error) error {
	for delay := time.Millisecond; ; delay = min(delay*2, 50*time.Millisecond) {
		p, err := procs(dir)
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if len(p) == 0 {
			return nil
		}
		if err := kill(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cgroup: %s still has %d processes: %w", dir, len(p), ctx.Err())
		case <-time.After(delay):
		}
	}
}

// rmdirRetry removes dir; the kernel may briefly report EBUSY right after
// the last process exits.
func rmdirRetry(ctx context.Context, dir string) error {
	for i := 0; ; i++ {
		err := os.Remove(dir)
		if err == nil || os.IsNotExist(err) {
			return nil
		}
		if i > 100 {
			return fmt.Errorf("cgroup: remove %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cgroup: remove %s: %w", dir, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// InstanceOf returns the instance prefix of a group name made by GroupName.
func InstanceOf(name string) string {
	inst, _, _ := strings.Cut(name, "-")
	return inst
}

// GroupName makes names whose prefix identifies the owning server instance,
// so a restarted server can tell its predecessors' leftovers from a live
// neighbour's groups.
func GroupName(instance, run string) string { return instance + "-" + run }
