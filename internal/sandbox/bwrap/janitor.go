package bwrap

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/runblock/runblock/internal/sandbox/cgroup"
)

// janitorScript waits until its stdin reaches EOF, which happens when the
// process that started it is gone for any reason (kill -9 included), then
// kills every process running as one of that runtime's sandbox uids ($1),
// removes the runtime's cgroups (the other arguments are their globs) and
// run directories ($2). bubblewrap's --die-with-parent does not cover a
// sandbox still being set up when its parent dies, and such a sandbox may
// not be in its cgroup yet, but it always runs as its uid. The janitor holds
// the uid leases until it is done, so no new sandbox can use them meanwhile.
const janitorScript = `while read -r _; do :; done
uids=$1; work=$2; shift 2
i=0
while [ $i -lt 100 ]; do
	left=0
	for u in $uids; do
		if pgrep -U "$u" >/dev/null; then pkill -9 -U "$u"; left=1; fi
	done
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
	var globs []string
	if r.cg != nil {
		globs = r.cg.Globs(r.instance)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	uids := make([]string, 0, len(r.uids))
	if r.dropPriv {
		for _, u := range r.uids {
			uids = append(uids, strconv.Itoa(u))
		}
	}
	args := append([]string{"-c", janitorScript, "janitor", strings.Join(uids, " "),
		filepath.Join(r.cfg.WorkDir, cgroup.GroupName(r.instance, "*"))},
		globs...)
	cmd := exec.Command("/bin/sh", args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	cmd.Stdin = pr
	cmd.ExtraFiles = r.leases // it keeps the uids leased until it is done
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

// Close ends the runtime: its janitor removes whatever is left and then
// gives the uids back.
func (r *Runtime) Close() error {
	r.unmountViews()
	releaseAll(r.leases)
	var err error
	if r.janitor != nil {
		err = r.janitor.Close()
	}
	r.net.close()
	return err
}
