package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

// langStatus is what a language's probe found.
type langStatus struct {
	available bool
	reason    string
}

// probeParallel bounds the probes running at once: a JVM or tsc start is
// heavy, and the first GET /environments waits for all of them.
const probeParallel = 2

// errUnanswered is a probe that did not run to an end (cancelled, timed
// out, the sandbox failed): it says nothing about the toolchain.
var errUnanswered = errors.New("probe did not finish")

// probeLanguages reads every language's version and runs its hello-world
// in the sandbox. A toolchain that is missing or broken makes its language
// unavailable with the reason; it never fails the catalog.
func (c *Catalog) probeLanguages(ctx context.Context, f *facts) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, probeParallel)
	for _, name := range c.langs.Names() {
		d := c.langs[name]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			version, st, err := c.probeLanguage(ctx, d)
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, errUnanswered) {
				f.complete = false
			}
			if version != "" {
				f.versions[name] = version
			}
			f.status[name] = st
		}()
	}
	wg.Wait()
}

func (c *Catalog) probeLanguage(ctx context.Context, d lang.Descriptor) (string, langStatus, error) {
	var version string
	if p := d.VersionProbe; p != nil {
		out, err := c.runProbe(ctx, sandbox.Language{Name: "probe", FileName: "probe.txt", Run: p.Argv, Env: d.Env, ReadOnlyPaths: d.ReadOnlyPaths}, nil, sandbox.Limits{WallTime: 15 * time.Second})
		if err != nil {
			return "", unavailable(err), err
		}
		m := regexp.MustCompile(p.Pattern).FindStringSubmatch(out) // Validate compiled it
		if m == nil {
			return "", langStatus{reason: fmt.Sprintf("version probe %s printed no version: %.200q", p.Argv[0], out)}, nil
		}
		version = p.Prefix + m[1]
	}
	if d.Hello == "" {
		return version, langStatus{available: true}, nil
	}
	out, err := c.runProbe(ctx, d.Language, []byte(d.Hello), sandbox.Limits{})
	if err != nil {
		return version, unavailable(err), err
	}
	if !strings.Contains(out, "Hello, World!") {
		return version, langStatus{reason: fmt.Sprintf("hello-world printed %.200q", out)}, nil
	}
	return version, langStatus{available: true}, nil
}

func unavailable(err error) langStatus {
	return langStatus{reason: err.Error()}
}

// runProbe runs one probe program; a run that ended other than by exiting
// 0 is an error (errUnanswered when it says nothing about the toolchain).
func (c *Catalog) runProbe(ctx context.Context, l sandbox.Language, code []byte, lim sandbox.Limits) (string, error) {
	var out bytes.Buffer
	res, err := c.rt.Run(ctx, sandbox.Request{
		Language: l, Files: []sandbox.File{{Content: code}},
		Stdout: &out, Stderr: &out, Limits: lim,
	})
	text := strings.TrimSpace(out.String())
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: %v", errUnanswered, err)
	case res.Status == sandbox.StatusCancelled || res.Status == sandbox.StatusTimeout:
		return "", fmt.Errorf("%w: %s in the %s step", errUnanswered, res.Status, res.Stage)
	case res.Status != sandbox.StatusSuccess:
		if len(text) > 300 {
			text = text[:300] + "..."
		}
		return "", fmt.Errorf("toolchain failed (%s, exit %d in the %s step): %s", res.Status, res.ExitCode, res.Stage, text)
	}
	return text, nil
}
