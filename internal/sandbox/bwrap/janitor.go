package bwrap

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/runblock/runblock/internal/sandbox/cgroup"
)

// janitorScript waits until its stdin reaches EOF, which happens when the
// process that started it is gone for any reason (kill -9 included), then
// kills every process in that instance's sandbox cgroups and removes them
// and the run directories. $1 is the run-directory glob, the rest are
// cgroup globs. bubblewrap's --die-with-parent does not cover a sandbox
// still being set up when its parent dies; the cgroups do, since every
// sandbox process joins its cgroup before it starts anything.
const janitorScript = `while read -r _; do :; done
work=$1; shift
i=0
while [ $i -lt 100 ]; do
	left=0
	for pat in "$@"; do
		for d in $pat; do
			[ -d "$d" ] || continue
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
			rmdir "$d" 2>/dev/null || left=1
		done
	done
	[ $left = 0 ] && break
	sleep 0.1
	i=$((i+1))
done
for d in $work; do rm -rf "$d"; done
`

// startJanitor starts the clean-up process for this instance. It runs in
// its own session with no parent-death signal, so it outlives this process.
func (r *Runtime) startJanitor() error {
	if r.cg == nil {
		return nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	args := append([]string{"-c", janitorScript, "janitor", filepath.Join(r.cfg.WorkDir, cgroup.GroupName(r.instance, "*"))},
		r.cg.Globs(r.instance)...)
	cmd := exec.Command("/bin/sh", args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	cmd.Stdin = pr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("bwrap: janitor: %w", err)
	}
	pr.Close()
	go func() { _ = cmd.Wait() }() // reap it if it ends while we run
	r.janitor = pw
	return nil
}

// Close ends the runtime: its janitor removes whatever is left.
func (r *Runtime) Close() error {
	if r.janitor != nil {
		return r.janitor.Close()
	}
	return nil
}
