// Package bwrap runs untrusted code under bubblewrap: fresh namespaces (but
// one shared, empty network namespace: see netns.go), an unprivileged uid,
// a seccomp allowlist, read-only system files, a size-capped /tmp, and a
// cgroup that bounds memory, CPU and processes.
package bwrap

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/cgroup"
	"github.com/runblock/runblock/internal/sandbox/figure"
)

var _ sandbox.Runtime = (*Runtime)(nil)
var _ sandbox.Checker = (*Runtime)(nil)

// Config configures the runtime. Zero fields take the defaults shown.
type Config struct {
	BwrapPath  string // /usr/bin/bwrap
	WorkDir    string // per-run directories; /tmp/runblock-boxes
	UIDBase    int    // lowest sandbox uid (and gid) to lease; 61000
	LeaseDir   string // uid lease locks, host-wide; /run/runblock-uids
	UsrViewDir string // per-uid overlay views of /usr; /run/runblock-usr (see usrview.go)
	// EtcPaths are the paths under /etc the languages read (their
	// read_only_paths): the views' /etc holds copies of them besides the
	// loader's files; nil means the built-in languages'. A language naming
	// one not here gets it bound from the host on its own (slower, and its
	// locks reach that host file).
	EtcPaths []string
	Slots    int // concurrent sandboxes = uids used; 16
	// SlotWait bounds the wait for a free uid; beyond it Run fails with
	// sandbox.ErrBusy. Admission (the front door) normally keeps sandboxes
	// below Slots, so waiting here means capacity was miscounted. 10s.
	SlotWait     time.Duration
	CgroupRoot   string         // /sys/fs/cgroup
	CgroupParent string         // runblock
	Defaults     sandbox.Limits // limits for requests that leave a field zero
	// AllowWeak runs without cgroups (no memory/CPU/pids limits) or without
	// dropping privileges when the host can't provide them. Off by default:
	// the server refuses to start instead.
	AllowWeak bool
	// Python is the interpreter sandboxes run Python with: the figure
	// lib's modules are compiled for it once, not at every run's import.
	// "" leaves them as source.
	Python string
	Logger *slog.Logger
}

// SeedLimits are the seed specification's limits.
var SeedLimits = sandbox.Limits{
	MemoryBytes: 128 << 20,
	CPUs:        0.5,
	WallTime:    30 * time.Second,
	Pids:        64,
	OutputChars: 10000,
	TmpBytes:    16 << 20,
	FileBytes:   16 << 20,
}

// Runtime is the bubblewrap sandbox runtime.
type Runtime struct {
	cfg      Config
	instance string
	cg       cgroup.Manager // nil only with AllowWeak
	slots    chan int
	seccomp  []byte
	standIns string     // files bound over host details; see hide.go
	devDir   string     // the /dev every sandbox binds; "": bwrap's --dev
	usrLocal []string   // the parts of /usr/local sandboxes see
	views    *usrViews  // nil: sandboxes bind the host's /usr
	viewErr  error      // why views are off, for Check
	janitor  *os.File   // write end of the janitor's stdin; see janitor.go
	uids     []int      // leased sandbox uids, one per slot
	leases   []*os.File // their lock files; see uids.go
	dropPriv bool
	figLib   string // the figure backend's host dir; see figures.go
	// net starts sandboxes from its namespaces (the shared empty network
	// one; the mount one the views live in); nil: each sandbox makes its
	// own network namespace, and the views are the host's mounts (see
	// netns.go).
	net *launcher
	log *slog.Logger
}

// New checks the host, cleans what a previous (crashed) instance left behind,
// and returns a ready runtime.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.BwrapPath == "" {
		cfg.BwrapPath = "/usr/bin/bwrap"
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = filepath.Join(os.TempDir(), "runblock-boxes")
	}
	if cfg.LeaseDir == "" {
		cfg.LeaseDir = "/run/runblock-uids"
	}
	if cfg.UsrViewDir == "" {
		cfg.UsrViewDir = "/run/runblock-usr"
	}
	if cfg.UIDBase == 0 {
		cfg.UIDBase = 61000
	}
	if cfg.Slots == 0 {
		cfg.Slots = 16
	}
	if cfg.SlotWait == 0 {
		cfg.SlotWait = 10 * time.Second
	}
	if cfg.CgroupParent == "" {
		cfg.CgroupParent = "runblock"
	}
	cfg.Defaults = cfg.Defaults.Merge(SeedLimits)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(cfg.BwrapPath); err != nil {
		return nil, fmt.Errorf("bwrap: %s not found (install the Debian package bubblewrap): %w", cfg.BwrapPath, err)
	}
	// The instance prefix names this process (so a successor can tell whether
	// it is gone) and this runtime (so several runtimes in one process, as in
	// tests, never clean up each other's sandboxes).
	instance := strconv.Itoa(os.Getpid()) + "." + newID()[:8]
	r := &Runtime{cfg: cfg, instance: instance, log: cfg.Logger, dropPriv: os.Geteuid() == 0}
	if !r.dropPriv && !cfg.AllowWeak {
		return nil, errors.New("bwrap: must start as root to run sandboxes under a separate unprivileged uid (or allow a weak sandbox)")
	}
	prog, err := seccompProgram()
	if err != nil {
		return nil, err
	}
	r.seccomp = prog
	if cg, err := cgroup.Detect(cfg.CgroupRoot, cfg.CgroupParent); err == nil {
		r.cg = cg
	} else if !cfg.AllowWeak {
		return nil, fmt.Errorf("bwrap: cgroups unavailable, limits can't be enforced: %w", err)
	} else {
		r.log.Warn("sandbox runs without cgroup limits", "err", err)
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o711); err != nil {
		return nil, fmt.Errorf("bwrap: work dir: %w", err)
	}
	// The uids must be able to reach their run directory through WorkDir.
	if err := os.Chmod(cfg.WorkDir, 0o711); err != nil {
		return nil, fmt.Errorf("bwrap: work dir: %w", err)
	}
	if r.standIns, err = writeStandIns(cfg.WorkDir); err != nil {
		return nil, err
	}
	if r.dropPriv {
		if r.devDir, err = writeDevDir(cfg.WorkDir); err != nil {
			return nil, err
		}
	}
	r.usrLocal = usrLocalKeep()
	if r.figLib, err = figure.WriteLib(cfg.WorkDir, cfg.Python); err != nil {
		return nil, err
	}
	if err := r.cleanStale(ctx); err != nil {
		return nil, err
	}
	// A uid per slot, leased host-wide: no other runtime on this host can
	// run sandboxes as these uids, so the janitor can kill by uid.
	if r.dropPriv {
		sweepStaleViews(cfg.UsrViewDir, cfg.LeaseDir)
		if r.uids, r.leases, err = leaseUIDs(cfg.LeaseDir, cfg.UIDBase, cfg.Slots); err != nil {
			return nil, err
		}
	} else {
		for i := 0; i < cfg.Slots; i++ {
			r.uids = append(r.uids, os.Geteuid())
		}
	}
	if r.dropPriv {
		keep := mountKeep{
			trees:  []string{"/usr", "/etc", cfg.WorkDir, cfg.UsrViewDir},
			points: []string{"/proc", "/dev", filepath.Dir(cfg.BwrapPath)},
		}
		if r.net, err = newLauncher(keep, r.log); err != nil {
			r.log.Warn("each sandbox makes its own network namespace", "err", err)
		}
		// Without views a sandbox's file locks reach host files: a warning,
		// not a refusal, as hosts without overlayfs still isolate the rest.
		r.onLauncher(func() {
			// Only a launcher with its own mounts has its own working directory.
			ownCwd := r.net != nil && r.net.mounts
			r.views, r.viewErr = mountUsrViews(cfg.UsrViewDir, r.uids, etcOrBuiltin(cfg.EtcPaths), ownCwd)
			if r.viewErr == nil && r.net != nil {
				if err := r.net.splitViews(r.views); err != nil {
					r.log.Warn("sandboxes start from the mount table of every uid's views", "err", err)
				}
			}
		})
		if r.viewErr != nil {
			r.log.Warn("sandboxes share lock state with host /usr", "err", r.viewErr)
		}
	} else {
		r.viewErr = errors.New("needs root")
	}
	if err := r.startJanitor(); err != nil {
		r.unmountViews()
		r.net.close()
		releaseAll(r.leases)
		return nil, err
	}
	r.slots = make(chan int, cfg.Slots)
	for _, uid := range r.uids {
		r.slots <- uid
	}
	return r, nil
}

// onLauncher runs f on the launcher's thread, in its mount namespace,
// where the views are mounted; without a launcher, here.
func (r *Runtime) onLauncher(f func()) {
	if r.net == nil || r.net.do(f) != nil {
		f()
	}
}

// unmountViews detaches the views where they are mounted.
func (r *Runtime) unmountViews() {
	r.onLauncher(func() {
		if err := r.views.unmount(); err != nil {
			r.log.Warn("unmount /usr views", "err", err)
		}
	})
}

// Mode reports the cgroup mode in use ("v1", "v2" or "none").
func (r *Runtime) Mode() string {
	if r.cg == nil {
		return "none"
	}
	return r.cg.Mode()
}

// Limits returns the defaults applied to requests.
func (r *Runtime) Limits() sandbox.Limits { return r.cfg.Defaults }

// cleanStale removes run directories and cgroups of instances whose process
// is gone, so a crash leaves nothing behind after the next start.
func (r *Runtime) cleanStale(ctx context.Context) error {
	alive := func(inst string) bool {
		pidPart, _, _ := strings.Cut(inst, ".")
		pid, err := strconv.Atoi(pidPart)
		if err != nil || pid <= 0 {
			return false
		}
		return syscall.Kill(pid, 0) == nil
	}
	entries, err := os.ReadDir(r.cfg.WorkDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || alive(cgroup.InstanceOf(e.Name())) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(r.cfg.WorkDir, e.Name())); err != nil {
			return fmt.Errorf("bwrap: clean stale %s: %w", e.Name(), err)
		}
	}
	if r.cg != nil {
		return r.cg.CleanStale(ctx, alive)
	}
	return nil
}

func (r *Runtime) acquire(ctx context.Context) (int, error) {
	select {
	case uid := <-r.slots:
		return uid, nil
	default:
	}
	timer := time.NewTimer(r.cfg.SlotWait)
	defer timer.Stop()
	select {
	case uid := <-r.slots:
		return uid, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-timer.C:
		r.log.Warn("no free sandbox uid in time", "slots", r.cfg.Slots, "waited", r.cfg.SlotWait)
		return 0, fmt.Errorf("bwrap: all %d uids busy for %s: %w", r.cfg.Slots, r.cfg.SlotWait, sandbox.ErrBusy)
	}
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Describe names the runtime and its cgroup mode for people.
func (r *Runtime) Describe() string { return "bwrap (cgroups " + r.Mode() + ")" }

func etcOrBuiltin(paths []string) []string {
	if paths == nil {
		return lang.Builtins().EtcPaths()
	}
	return paths
}
