package bwrap

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// hiddenDir holds the stand-ins bound over host files a learner has no use
// for. It starts with a dot so cleanStale leaves it alone.
const hiddenDir = ".hidden"

// writeStandIns writes the stand-in files: an empty kernel command line and
// a /proc/stat with this machine's CPUs but none of its counters (boot
// time, context switches, forks since boot, per-CPU load), which tell about
// the host and, changing with other runs, would be a channel between them.
// The cpuN lines stay: glibc counts CPUs there when /sys is missing.
func writeStandIns(workDir string) (string, error) {
	dir := filepath.Join(workDir, hiddenDir)
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return "", fmt.Errorf("bwrap: stand-ins: %w", err)
	}
	zeros := " 0 0 0 0 0 0 0 0 0 0\n"
	var stat strings.Builder
	stat.WriteString("cpu " + zeros)
	for i := 0; i < runtime.NumCPU(); i++ {
		fmt.Fprintf(&stat, "cpu%d%s", i, zeros)
	}
	stat.WriteString("intr 0\nctxt 0\nbtime 0\nprocesses 0\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n")
	for name, content := range map[string]string{"cmdline": "", "stat": stat.String()} {
		// Left alone when already right: every runtime on the host (tests
		// start many at once) shares these files, and rewriting them while
		// another runtime's bwrap binds them is needless churn.
		if old, err := os.ReadFile(filepath.Join(dir, name)); err == nil && string(old) == content {
			continue
		}
		// Written aside and renamed: runtimes sharing the work dir may be
		// binding the old file this very moment.
		tmp, err := os.CreateTemp(dir, name+".*")
		if err != nil {
			return "", fmt.Errorf("bwrap: stand-ins: %w", err)
		}
		_, err = tmp.WriteString(content)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), 0o444)
		}
		if err == nil {
			err = os.Rename(tmp.Name(), filepath.Join(dir, name))
		}
		if err != nil {
			os.Remove(tmp.Name())
			return "", fmt.Errorf("bwrap: stand-ins: %w", err)
		}
	}
	return dir, nil
}

// usrLocalKeep are the parts of the host's /usr/local a sandbox sees: where
// pip installs Python packages for the whole host. The rest (local tools,
// toolchains, sources) stays hidden.
func usrLocalKeep() []string {
	keep, _ := filepath.Glob("/usr/local/lib/python3*")
	return keep
}

// hidingArgs are bwrap arguments that cover host details, given after /usr
// and /proc are mounted.
func (r *Runtime) hidingArgs() []string {
	a := []string{
		"--ro-bind", filepath.Join(r.standIns, "cmdline"), "/proc/cmdline",
		"--ro-bind", filepath.Join(r.standIns, "stat"), "/proc/stat",
	}
	if r.views != nil {
		return a // the views hide /usr/local (see hideUsrLocal)
	}
	a = append(a, "--size", "65536", "--tmpfs", "/usr/local")
	for _, p := range r.usrLocal {
		a = append(a, "--ro-bind", p, p)
	}
	return append(a, "--remount-ro", "/usr/local")
}
