package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// ContainerEnv is an environment served from a container image.
type ContainerEnv struct {
	ID, Name, Image, OCIRuntime string
	Runtime                     sandbox.Runtime
	Langs                       map[string]sandbox.Language
	// Available says whether the engine answers and has the image.
	Available func(context.Context) error
}

type containerFacts struct {
	facts
	ros string // ROS_DISTRO in the image, when it has one
}

// WithContainers adds the environments served from container images; a
// "docker" among them replaces the alias of the server sandbox.
func (c *Catalog) WithContainers(envs []ContainerEnv) *Catalog {
	c.containers = envs
	c.cfacts = map[string]*containerFacts{}
	return c
}

// containerProbe runs as the image's python: its version, its
// distributions and the ROS 2 distribution the image sets up.
const containerProbe = `import json, os, sys
try:
    import importlib.metadata as md
    pk = sorted({(d.metadata["Name"] or "") + "==" + (d.version or "") for d in md.distributions() if d.metadata["Name"]})
except Exception:
    pk = []
print(json.dumps({"python": sys.version.split()[0], "packages": pk, "ros": os.environ.get("ROS_DISTRO", "")}))
`

// containerEnvs lists the configured container environments (called with
// c.mu held), probing each image at most every recheckAfter.
func (c *Catalog) containerEnvs(ctx context.Context, now time.Time) (docker *Environment, others []Environment) {
	for _, ce := range c.containers {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := ce.Available(ctx)
		f := c.cfacts[ce.ID]
		if err == nil && (f == nil || !f.complete && now.Sub(f.at) > recheckAfter) {
			f = probeContainer(ctx, ce)
			f.at = now
			c.cfacts[ce.ID] = f
		}
		cancel()
		if f == nil {
			f = &containerFacts{facts: facts{versions: map[string]string{}, packages: []string{}}}
		}
		e := c.containerEnv(ce, f, err)
		if ce.ID == "docker" {
			docker = &e
			continue
		}
		others = append(others, e)
	}
	sort.Slice(others, func(i, j int) bool { return others[i].ID < others[j].ID })
	return docker, others
}

func probeContainer(ctx context.Context, ce ContainerEnv) *containerFacts {
	f := &containerFacts{facts: facts{versions: map[string]string{}, packages: []string{}, complete: true}}
	py, ok := ce.Langs["python"]
	if !ok {
		return f
	}
	var out bytes.Buffer
	res, err := ce.Runtime.Run(ctx, sandbox.Request{
		Language: py, Files: []sandbox.File{{Content: []byte(containerProbe)}},
		Stdout: &out, Limits: sandbox.Limits{OutputChars: 1 << 20, WallTime: 10 * time.Second},
	})
	var p struct {
		Python   string   `json:"python"`
		Packages []string `json:"packages"`
		ROS      string   `json:"ros"`
	}
	if err != nil || res.Status != sandbox.StatusSuccess || json.Unmarshal(out.Bytes(), &p) != nil || p.Python == "" {
		f.complete = false
		return f
	}
	f.versions["python"] = p.Python
	if p.Packages != nil {
		f.packages = p.Packages
	}
	f.ros = p.ROS
	return f
}

func (c *Catalog) containerEnv(ce ContainerEnv, f *containerFacts, availErr error) Environment {
	var langs []Language
	for name := range ce.Langs {
		langs = append(langs, Language{Name: name, Version: f.versions[name]})
	}
	sort.Slice(langs, func(i, j int) bool { return langs[i].Name < langs[j].Name })
	name := ce.Name
	if name == "" {
		name = "Container image " + ce.Image
	}
	runtime := "container " + ce.Image
	if ce.OCIRuntime != "" {
		runtime += " (" + ce.OCIRuntime + ")"
	}
	caps := []string{
		"Live output streaming (Server-Sent Events)", "Interactive input() while the program runs",
		"Stop at any time", "Runs in the operator's image " + ce.Image,
	}
	if f.ros != "" {
		caps = append(caps, "ROS 2 "+f.ros+" (rclpy and the ros2 libraries of the image)")
	}
	e := Environment{
		ID: ce.ID, Name: name, Location: "server", Runtime: runtime,
		Languages: langs, Packages: f.packages,
		Limits: map[string]any{
			"memory_mb": c.limits.MemoryBytes >> 20, "cpus": c.limits.CPUs, "timeout_seconds": c.limits.WallTime.Seconds(),
			"output_chars": c.limits.OutputChars, "pids": c.limits.Pids, "tmp_mb": c.limits.TmpBytes >> 20,
		},
		Capabilities: caps,
		Limitations: []string{
			"No network access", "Files written under /tmp and the work directory only, and they are gone after the run",
			"Each run starts in a fresh container: no state is kept between runs", "Counts against the per-user rate limit",
			"No figures (matplotlib's plt.show() output) and no compile step",
		},
		Available: availErr == nil && f.complete,
	}
	if availErr != nil {
		e.Limitations = append([]string{"Not available: " + availErr.Error()}, e.Limitations...)
	}
	return e
}

// missingROS2 is what lessons that need ROS 2 find when no image is
// configured.
func missingROS2() Environment {
	return Environment{
		ID: "ros2", Name: "ROS 2 (container image)", Location: "server",
		Languages: []Language{}, Packages: []string{}, Limits: map[string]any{}, Capabilities: []string{},
		Limitations: []string{"Needs the ros2 image: this server has no ROS 2 image configured (containers.environments.ros2). " +
			"See the README section \"Container environments (Docker Engine API)\" for how an operator builds and configures it."},
		Available: false,
	}
}

func hasEnv(envs []ContainerEnv, id string) bool {
	for _, e := range envs {
		if strings.EqualFold(e.ID, id) {
			return true
		}
	}
	return false
}
