// Package container runs programs in containers through the Docker Engine
// API, so that operators can use the images they choose (ROS 2, ...) with
// Docker or with Podman's API service alike. Code never reaches the engine
// as a host mount: it travels over the container's attached stdin, read by
// a small shell script in the container before the program starts.
package container

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// Config is one image's runtime.
type Config struct {
	// Host is the engine's address, e.g. unix:///run/podman/podman.sock.
	Host string
	// Image runs every program; it needs /bin/sh and head (coreutils or
	// busybox) besides the languages' own commands.
	Image string
	// OCIRuntime, when set, is HostConfig.Runtime (e.g. runsc for gVisor):
	// the engine must know it by that name.
	OCIRuntime string
	// User the program runs as; never root. Default 10001:10001.
	User string
	// Owner labels every container this process creates (runblock.owner),
	// so a successor can remove what a killed instance left behind. Two
	// servers sharing one engine need different owners.
	Owner string
	// Slots bounds containers alive at once (warm ones included); a Run past
	// it fails with sandbox.ErrBusy. Default 8.
	Slots int
	// Warm is how many started containers of WarmLanguage wait for code;
	// they serve runs with the default limits (any wall time and output
	// cap). 0 disables the pool.
	Warm         int
	WarmLanguage sandbox.Language
	// Defaults are the limits used for zero fields of a request's Limits.
	Defaults sandbox.Limits
	// JanitorEvery is how often containers nobody tracks are removed
	// (default 1 minute).
	JanitorEvery time.Duration
	Logger       *slog.Logger
}

// DefaultLimits are the seed's: 128 MB, 0.5 CPU, 64 processes, 30 s.
var DefaultLimits = sandbox.Limits{
	MemoryBytes: 128 << 20, CPUs: 0.5, WallTime: 30 * time.Second, Pids: 64,
	OutputChars: 10000, TmpBytes: 64 << 20, FileBytes: 16 << 20,
}

func (c *Config) fill() error {
	if c.Host == "" {
		return fmt.Errorf("container: no engine address")
	}
	if c.Image == "" {
		return fmt.Errorf("container: no image")
	}
	if c.User == "" {
		c.User = "10001:10001"
	}
	if c.User == "0" || c.User == "root" || len(c.User) > 1 && c.User[:2] == "0:" {
		return fmt.Errorf("container: user %q is root", c.User)
	}
	if c.Owner == "" {
		c.Owner = "runblock"
	}
	if c.Slots <= 0 {
		c.Slots = 8
	}
	if c.Warm > c.Slots {
		c.Warm = c.Slots
	}
	if c.JanitorEvery <= 0 {
		c.JanitorEvery = time.Minute
	}
	c.Defaults = c.Defaults.Merge(DefaultLimits)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
