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

type v2Manager struct{ base string }

func newV2(root, parent string) (*v2Manager, error) {
	base := filepath.Join(root, parent)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup: create parent %s: %w", base, err)
	}
	// Children can only use controllers the parent enables for its subtree.
	if err := writeFile(filepath.Join(base, "cgroup.subtree_control"), "+memory +pids +cpu"); err != nil {
		return nil, err
	}
	return &v2Manager{base: base}, nil
}

func (m *v2Manager) Mode() string { return "v2" }

func (m *v2Manager) Create(name string, l Limits) (Group, error) {
	dir := filepath.Join(m.base, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup: create %s: %w", dir, err)
	}
	g := &v2Group{dir: dir, fd: -1}
	fail := func(err error) (Group, error) { g.Remove(context.Background()); return nil, err }
	if l.MemoryBytes > 0 {
		v := strconv.FormatInt(l.MemoryBytes, 10)
		if err := writeFile(filepath.Join(dir, "memory.max"), v); err != nil {
			return fail(err)
		}
		if exists(filepath.Join(dir, "memory.swap.max")) {
			_ = writeFile(filepath.Join(dir, "memory.swap.max"), "0")
		}
	}
	if l.Pids > 0 {
		if err := writeFile(filepath.Join(dir, "pids.max"), strconv.Itoa(l.Pids)); err != nil {
			return fail(err)
		}
	}
	if l.CPUs > 0 {
		const period = 100000
		if err := writeFile(filepath.Join(dir, "cpu.max"), fmt.Sprintf("%d %d", int(l.CPUs*period), period)); err != nil {
			return fail(err)
		}
	}
	fd, err := syscall.Open(dir, syscall.O_DIRECTORY|syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fail(fmt.Errorf("cgroup: open %s: %w", dir, err))
	}
	g.fd = fd
	return g, nil
}

func (m *v2Manager) Globs(instance string) []string {
	return []string{filepath.Join(m.base, GroupName(instance, "*"))}
}

func (m *v2Manager) CleanStale(ctx context.Context, alive func(string) bool) error {
	entries, err := os.ReadDir(m.base)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && !alive(InstanceOf(e.Name())) {
			g := &v2Group{dir: filepath.Join(m.base, e.Name()), fd: -1}
			if err := g.Remove(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

type v2Group struct {
	dir string
	fd  int
}

func (g *v2Group) FD() (int, bool) { return g.fd, g.fd >= 0 }

func (g *v2Group) Place(pid int) error {
	return writeFile(filepath.Join(g.dir, "cgroup.procs"), strconv.Itoa(pid))
}

func (g *v2Group) Stats() (Stats, error) {
	var s Stats
	if v, err := readInt(filepath.Join(g.dir, "memory.peak")); err == nil {
		s.MemoryPeak = v
	}
	if us, err := readKey(filepath.Join(g.dir, "cpu.stat"), "usage_usec"); err == nil {
		s.CPUTime = time.Duration(us) * time.Microsecond
	}
	if n, err := readKey(filepath.Join(g.dir, "memory.events"), "oom_kill"); err == nil {
		s.OOMKills = int(n)
	}
	return s, nil
}

func (g *v2Group) Kill() error {
	if err := writeFile(filepath.Join(g.dir, "cgroup.kill"), "1"); err == nil {
		return nil
	}
	// Kernels before 5.14 have no cgroup.kill.
	pids, err := procs(g.dir)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return nil
}

func (g *v2Group) Remove(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if g.fd >= 0 {
		syscall.Close(g.fd)
		g.fd = -1
	}
	if !exists(g.dir) {
		return nil
	}
	if err := waitEmpty(ctx, g.dir, g.Kill); err != nil {
		return err
	}
	return rmdirRetry(ctx, g.dir)
}
