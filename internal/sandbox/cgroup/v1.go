package cgroup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// v1 controllers we create a directory in for every group. cpu and cpuacct
// may be co-mounted ("cpu,cpuacct"); dirs() de-duplicates by path.
//
// No freezer: a group frozen by a server that then dies stays frozen, and
// its processes can't act on SIGKILL until someone thaws them. A fork bomb
// can't outrun the kill anyway: the runtime kills the sandbox's PID 1
// first, after which the kernel refuses new processes in that namespace,
// and the pids limit bounds what there is to kill.
var v1Controllers = []string{"memory", "pids", "cpu", "cpuacct"}

type v1Manager struct {
	root, parent string
	mounts       map[string]string // controller → mount dir
	// What the kernel offers, the same in every group: swap accounting
	// (memory.memsw.*), CFS bandwidth control (cpu.cfs_quota_us).
	memsw, quota bool
}

func newV1(root, parent string) (*v1Manager, error) {
	m := &v1Manager{root: root, parent: parent, mounts: map[string]string{}}
	for _, c := range v1Controllers {
		dir := filepath.Join(root, c)
		if _, err := os.Stat(dir); err != nil {
			// co-mounted layouts name the dir "cpu,cpuacct"
			alt := filepath.Join(root, "cpu,cpuacct")
			if (c == "cpu" || c == "cpuacct") && exists(alt) {
				dir = alt
			} else {
				return nil, fmt.Errorf("%w: v1 controller %s not mounted", ErrUnsupported, c)
			}
		}
		m.mounts[c] = dir
		if err := os.MkdirAll(filepath.Join(dir, parent), 0o755); err != nil {
			return nil, fmt.Errorf("cgroup: create parent %s: %w", filepath.Join(dir, parent), err)
		}
	}
	m.memsw = exists(filepath.Join(m.mounts["memory"], parent, "memory.memsw.limit_in_bytes"))
	m.quota = exists(filepath.Join(m.mounts["cpu"], parent, "cpu.cfs_quota_us"))
	return m, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func (m *v1Manager) Mode() string { return "v1" }

func (m *v1Manager) dirs(name string) map[string]string {
	d := map[string]string{}
	for c, mount := range m.mounts {
		d[c] = filepath.Join(mount, m.parent, name)
	}
	return d
}

func (m *v1Manager) Create(name string, l Limits) (Group, error) {
	g := &v1Group{dirs: m.dirs(name)}
	for _, dir := range g.uniqueDirs() {
		if err := os.Mkdir(dir, 0o755); err != nil {
			g.Remove(context.Background())
			return nil, fmt.Errorf("cgroup: create %s: %w", dir, err)
		}
	}
	mem := g.dirs["memory"]
	if l.MemoryBytes > 0 {
		v := strconv.FormatInt(l.MemoryBytes, 10)
		if err := writeFile(filepath.Join(mem, "memory.limit_in_bytes"), v); err != nil {
			g.Remove(context.Background())
			return nil, err
		}
		// Without this the program could exceed the limit by swapping.
		if m.memsw {
			_ = writeFile(filepath.Join(mem, "memory.memsw.limit_in_bytes"), v)
		}
	}
	if l.Pids > 0 {
		if err := writeFile(filepath.Join(g.dirs["pids"], "pids.max"), strconv.Itoa(l.Pids)); err != nil {
			g.Remove(context.Background())
			return nil, err
		}
	}
	if l.CPUs > 0 && m.quota {
		const period = 100000 // a new group's, the kernel's default
		if err := writeFile(filepath.Join(g.dirs["cpu"], "cpu.cfs_quota_us"), strconv.Itoa(int(l.CPUs*period))); err != nil {
			g.Remove(context.Background())
			return nil, err
		}
	}
	return g, nil
}

func (m *v1Manager) Globs(instance string) []string {
	seen := map[string]bool{}
	var out []string
	for _, mount := range m.mounts {
		g := filepath.Join(mount, m.parent, GroupName(instance, "*"))
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func (m *v1Manager) CleanStale(ctx context.Context, alive func(string) bool) error {
	for _, mount := range m.mounts {
		entries, err := os.ReadDir(filepath.Join(mount, m.parent))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() || alive(InstanceOf(e.Name())) {
				continue
			}
			g := &v1Group{dirs: map[string]string{}}
			for c2 := range m.mounts {
				g.dirs[c2] = filepath.Join(m.mounts[c2], m.parent, e.Name())
			}
			if err := g.Remove(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

type v1Group struct{ dirs map[string]string }

func (g *v1Group) uniqueDirs() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range v1Controllers {
		if d, ok := g.dirs[c]; ok && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

func (g *v1Group) FD() (int, bool) { return -1, false }

// Place writes pid into every controller. (Having the sandbox's first
// process write itself in, before it starts bwrap, was measured here: a
// task moving itself pays ~10 ms in the kernel, the server moving it ~0.1.)
func (g *v1Group) Place(pid int) error {
	for _, dir := range g.uniqueDirs() {
		if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

func (g *v1Group) Stats() (Stats, error) {
	var s Stats
	var err error
	if s.MemoryPeak, err = readInt(filepath.Join(g.dirs["memory"], "memory.max_usage_in_bytes")); err != nil {
		return s, err
	}
	if ns, err := readInt(filepath.Join(g.dirs["cpuacct"], "cpuacct.usage")); err == nil {
		s.CPUTime = time.Duration(ns)
	}
	oc := filepath.Join(g.dirs["memory"], "memory.oom_control")
	if n, err := readKey(oc, "oom_kill"); err == nil {
		s.OOMKills = int(n)
	} else if n, err := readInt(filepath.Join(g.dirs["memory"], "memory.failcnt")); err == nil && n > 0 {
		// Older kernels have no oom_kill counter; hitting the limit is the best hint.
		s.OOMKills = 1
	}
	return s, nil
}

// Kill sends SIGKILL to every process in the group; Remove repeats it
// until the group is empty. One hierarchy's list is enough: a sandbox's
// processes are placed in every hierarchy's group and their children are
// born there (Remove still waits on each before removing it).
func (g *v1Group) Kill() error {
	pids, err := procs(g.dirs["memory"])
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return nil
}

func (g *v1Group) Remove(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var first error
	for _, dir := range g.uniqueDirs() {
		if !exists(dir) {
			continue
		}
		if err := waitEmpty(ctx, dir, g.Kill); err != nil && first == nil {
			first = err
		}
		if err := rmdirRetry(ctx, dir); err != nil && first == nil {
			first = err
		}
	}
	return first
}
