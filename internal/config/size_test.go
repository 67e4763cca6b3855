package config

import "testing"

func TestConcurrencyFromMachine(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name string
		m    Machine
		cpu  float64
		mem  int64
		want int
	}{
		{"2 cores, plenty of memory", Machine{CPUs: 2, MemoryBytes: 24 << 30}, 0.5, 128 * mb, 3},
		{"8 cores", Machine{CPUs: 8, MemoryBytes: 64 << 30}, 0.5, 128 * mb, 15},
		{"memory bound", Machine{CPUs: 16, MemoryBytes: 2 << 30}, 0.5, 128 * mb, 12},
		{"tiny container", Machine{CPUs: 0.5, MemoryBytes: 256 * mb}, 0.5, 128 * mb, 1},
		{"1 core keeps no cpu headroom", Machine{CPUs: 1, MemoryBytes: 4 << 30}, 0.5, 128 * mb, 2},
		{"unknown memory", Machine{CPUs: 4}, 1, 128 * mb, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Concurrency(tc.m, tc.cpu, tc.mem); got != tc.want {
				t.Fatalf("Concurrency(%+v, %g, %d MB) = %d, want %d", tc.m, tc.cpu, tc.mem/mb, got, tc.want)
			}
		})
	}
}

func TestDetectMachineSeesThisHost(t *testing.T) {
	m := DetectMachine()
	if m.CPUs <= 0 || m.MemoryBytes <= 0 {
		t.Fatalf("DetectMachine() = %+v", m)
	}
}

func TestMaxConcurrentZeroMeansSizedFromTheMachine(t *testing.T) {
	c := Default()
	c.Auth.AllowAnonymous = true
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Concurrency(), Concurrency(DetectMachine(), c.Limits.CPUs, int64(c.Limits.MemoryMB)<<20); got != want || got < 1 {
		t.Fatalf("auto concurrency %d, want %d", got, want)
	}
	c.MaxConcurrent = 7
	if c.Concurrency() != 7 {
		t.Fatal("a configured max_concurrent must win")
	}
}
