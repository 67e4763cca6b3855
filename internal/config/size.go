package config

import (
	"bufio"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what the host (or the container it runs in) offers.
type Machine struct {
	CPUs        float64 // cores, after any cgroup CPU quota
	MemoryBytes int64   // after any cgroup memory limit; 0 when unknown
}

// Concurrency is how many runs may execute at once on m when each may use
// cpu cores and mem bytes: the smaller of what the cores and the memory
// allow, after headroom for the server itself (its HTTP work, checks and
// warm sandboxes): half a core once there are two, and a quarter of the
// memory (at least 512 MB). Never below 1.
func Concurrency(m Machine, cpu float64, mem int64) int {
	n := math.MaxInt
	if cpu > 0 && m.CPUs > 0 {
		usable := m.CPUs
		if usable >= 2 {
			usable -= 0.5
		}
		n = int(usable / cpu)
	}
	if mem > 0 && m.MemoryBytes > 0 {
		headroom := max(m.MemoryBytes/4, 512<<20)
		n = min(n, int(max(m.MemoryBytes-headroom, 0)/mem))
	}
	if n == math.MaxInt {
		n = runtime.NumCPU()
	}
	return max(n, 1)
}

// DetectMachine reads the cores and memory this process may use.
func DetectMachine() Machine {
	m := Machine{CPUs: float64(runtime.NumCPU()), MemoryBytes: memTotal()}
	if q := cgroupCPUs(); q > 0 && q < m.CPUs {
		m.CPUs = q
	}
	if l := cgroupMemory(); l > 0 && (m.MemoryBytes == 0 || l < m.MemoryBytes) {
		m.MemoryBytes = l
	}
	return m
}

// DefaultConcurrency sizes max_concurrent for this machine and c's per-run
// limits; it is what max_concurrent 0 ("auto") means.
func (c *Config) DefaultConcurrency() int {
	return Concurrency(DetectMachine(), c.Limits.CPUs, int64(c.Limits.MemoryMB)<<20)
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cgroupCPUs reads a CPU quota (v2 cpu.max, else v1 cfs quota); 0 if none.
func cgroupCPUs() float64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 && f[0] != "max" {
			return ratio(f[0], f[1])
		}
		return 0
	}
	q, err1 := os.ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
	p, err2 := os.ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
	if err1 != nil || err2 != nil {
		return 0
	}
	return ratio(strings.TrimSpace(string(q)), strings.TrimSpace(string(p)))
}

func ratio(a, b string) float64 {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || x <= 0 || y <= 0 {
		return 0
	}
	return x / y
}

// cgroupMemory reads a memory limit (v2 memory.max, else v1); 0 if none.
// v1 reports "no limit" as a huge page-rounded number.
func cgroupMemory() int64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || v <= 0 || v >= 1<<60 {
			return 0
		}
		return v
	}
	return 0
}

// Concurrency is max_concurrent, or what this machine can hold when it is
// 0 (the default).
func (c *Config) Concurrency() int {
	if c.MaxConcurrent > 0 {
		return c.MaxConcurrent
	}
	return c.DefaultConcurrency()
}
