package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuRows: CPU time per run, the server and every sandbox it started
// together, beside the CPU time of one bare spawn. At saturation throughput
// is cores ÷ CPU per run, so this is the number behind the throughput row,
// and unlike the throughput it hardly moves with other load on the machine.
func cpuRows(s *server, n int) ([]row, error) {
	pid := s.cmd.Process.Pid
	// Settle the pools first: the first runs start them.
	for i := 0; i < 5; i++ {
		if err := postExecute(s.url, hello); err != nil {
			return nil, err
		}
	}
	time.Sleep(time.Second)
	before, err := procCPU(pid)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		if err := postExecute(s.url, hello); err != nil {
			return nil, err
		}
	}
	// Each run's replacement in the warm pool starts after the run; let the
	// last one finish so that every run is charged for exactly one.
	time.Sleep(time.Second)
	after, err := procCPU(pid)
	if err != nil {
		return nil, err
	}
	perRun := (after - before) / time.Duration(n)

	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru0)
	for i := 0; i < n; i++ {
		if err := exec.Command("/usr/bin/python3", "-c", hello).Run(); err != nil {
			return nil, err
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru1)
	bare := (tv(ru1.Utime) + tv(ru1.Stime) - tv(ru0.Utime) - tv(ru0.Stime)) / time.Duration(n)
	return []row{
		{"CPU per `POST /execute` hello (server + its sandboxes, incl. the pool's refill)", ms(perRun), "", fmt.Sprintf("**%.2f× a bare spawn**; user+system time of the server and its reaped children over %d runs", float64(perRun)/float64(bare), n)},
		{"CPU per bare `python3 -c` spawn (baseline)", ms(bare), "", "user+system time of the children"},
	}, nil
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// procCPU is a process's own CPU time plus that of its waited-for children
// (utime, stime, cutime, cstime of /proc/pid/stat).
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // fields 14-17, counted from state (3)
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / 100, nil // USER_HZ is 100 on Linux
}
