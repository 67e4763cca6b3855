package bwrap_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
)

func listEtc(t *testing.T, rt *bwrap.Runtime, lang sandbox.Language) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := "import os, glob\nprint(sorted(os.listdir('/etc')))\nprint(glob.glob('/usr/lib/python3/dist-packages/*.pth'))\n"
	res, err := rt.Run(context.Background(), sandbox.Request{Language: lang, Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &errb})
	if err != nil || res.Status != sandbox.StatusSuccess {
		t.Fatalf("run: %v %+v %s", err, res, errb.String())
	}
	return out.String()
}

// A sandbox's /etc holds the loader's files and the paths the runtime was
// told the languages read, nothing else of the host's; site .pth files
// other than namespace packages' are hidden. A language naming an /etc path
// the runtime was not told of still gets it.
func TestViewsShowOnlyNamedEtcPaths(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{EtcPaths: []string{"/etc/python3"}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	py := config.DefaultLanguages()["python"]
	told := py
	told.ReadOnlyPaths = []string{"/etc/python3"}
	out := listEtc(t, rt, told)
	etc, pth, _ := strings.Cut(out, "\n")
	if etc != "['alternatives', 'ld.so.cache', 'localtime', 'python3']" {
		t.Fatalf("/etc shows %s", etc)
	}
	if strings.Contains(pth, "distutils-precedence.pth") {
		t.Fatalf(".pth files not hidden: %s", pth)
	}
	untold := py
	untold.ReadOnlyPaths = []string{"/etc/python3", "/etc/fonts"}
	if etc, _, _ := strings.Cut(listEtc(t, rt, untold), "\n"); !strings.Contains(etc, "'fonts'") || strings.Contains(etc, "'passwd'") {
		t.Fatalf("with a path the runtime was not told of, /etc shows %s", etc)
	}
}
