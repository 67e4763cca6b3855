package bwrap

import (
	"os"
	"strconv"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/figure"
)

// figureFD is the figure pipe's number in bwrap and so in the program:
// after bwrap's own 3-6 (see stage), which bwrap closes before the program
// starts. It is the only descriptor past 2 a program is given, and only
// when the request asks for images.
const figureFD = 7

// openFigures opens the run's figure channel when the request wants images.
func (r *Runtime) openFigures(sink sandbox.ImageSink, l sandbox.Limits) (*figure.Channel, error) {
	if sink == nil || r.figLib == "" {
		return nil, nil
	}
	return figure.Open(sink, l.ImageBytes)
}

// figureFiles are the descriptors to append to bwrap's 3-6.
func (s stageSpec) figureFiles() []*os.File {
	if s.fig == nil {
		return nil
	}
	return []*os.File{s.fig.ChildEnd()}
}

// figureBinds binds the backend read-only, before the root is made read-only.
func (r *Runtime) figureBinds(s stageSpec) []string {
	if s.fig == nil {
		return nil
	}
	return []string{"--ro-bind", r.figLib, figure.SandboxDir}
}

// figureEnv selects the backend. It replaces the Agg default set before it
// (bwrap applies --setenv in order).
func figureEnv(s stageSpec) []string {
	if s.fig == nil {
		return nil
	}
	return []string{
		"--setenv", "PYTHONPATH", figure.SandboxDir,
		"--setenv", "MPLBACKEND", figure.Backend,
		"--setenv", figure.EnvFD, strconv.Itoa(figureFD),
	}
}
