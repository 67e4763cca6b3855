package cgroup

import (
	"errors"
	"path/filepath"
	"strconv"
	"time"
)

// Rebaser is implemented by groups whose accounting can be restarted: a
// warm sandbox starts its interpreter (and pre-imports libraries) before
// the learner's code exists, and that start-up must count neither against
// the program's memory limit nor in its reported use.
type Rebaser interface {
	// Now is the group's memory in use and CPU used so far.
	Now() (memory int64, cpu time.Duration, err error)
	// SetMemory changes the memory limit.
	SetMemory(bytes int64) error
	// SetCPUs changes the CPU quota (in CPUs).
	SetCPUs(cpus float64) error
	// ResetPeak restarts the peak at the current use; false when the
	// hierarchy can't (the caller then subtracts instead).
	ResetPeak() bool
}

func (g *v1Group) Now() (int64, time.Duration, error) {
	mem, err := readInt(filepath.Join(g.dirs["memory"], "memory.usage_in_bytes"))
	if err != nil {
		return 0, 0, err
	}
	ns, err := readInt(filepath.Join(g.dirs["cpuacct"], "cpuacct.usage"))
	return mem, time.Duration(ns), err
}

func (g *v1Group) SetMemory(bytes int64) error {
	mem := g.dirs["memory"]
	v := strconv.FormatInt(bytes, 10)
	limit, memsw := filepath.Join(mem, "memory.limit_in_bytes"), filepath.Join(mem, "memory.memsw.limit_in_bytes")
	if !exists(memsw) {
		return writeFile(limit, v)
	}
	// memory ≤ memory+swap at every moment: which goes first depends on
	// the direction.
	if err := writeFile(limit, v); err != nil {
		return errors.Join(writeFile(memsw, v), writeFile(limit, v))
	}
	return writeFile(memsw, v)
}

func (g *v1Group) ResetPeak() bool {
	return writeFile(filepath.Join(g.dirs["memory"], "memory.max_usage_in_bytes"), "0") == nil
}

func (g *v2Group) Now() (int64, time.Duration, error) {
	mem, err := readInt(filepath.Join(g.dir, "memory.current"))
	if err != nil {
		return 0, 0, err
	}
	us, err := readKey(filepath.Join(g.dir, "cpu.stat"), "usage_usec")
	return mem, time.Duration(us) * time.Microsecond, err
}

func (g *v2Group) SetMemory(bytes int64) error {
	return writeFile(filepath.Join(g.dir, "memory.max"), strconv.FormatInt(bytes, 10))
}

// ResetPeak: v2 resets memory.peak only for the file descriptor that wrote
// to it, which Stats does not read; subtracting is the honest answer there.
func (g *v2Group) ResetPeak() bool { return false }

func (g *v1Group) SetCPUs(cpus float64) error {
	return writeFile(filepath.Join(g.dirs["cpu"], "cpu.cfs_quota_us"), strconv.Itoa(int(cpus*100000)))
}

func (g *v2Group) SetCPUs(cpus float64) error {
	return writeFile(filepath.Join(g.dir, "cpu.max"), strconv.Itoa(int(cpus*100000))+" 100000")
}
