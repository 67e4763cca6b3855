package execute

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/sandbox"
)

// envRuntime records which language it ran, or fails with err.
type envRuntime struct {
	ran []sandbox.Language
	err error
}

func (f *envRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if f.err != nil {
		return sandbox.Result{}, f.err
	}
	f.ran = append(f.ran, req.Language)
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun}, nil
}

func TestEnvironmentsRouteToTheirRuntime(t *testing.T) {
	s, server, val, _ := newService(t)
	img := &envRuntime{}
	down := &envRuntime{err: fmt.Errorf("%w: dial unix: no such file", sandbox.ErrUnavailable)}
	inImage := sandbox.Language{Name: "python", FileName: "main.py", Run: []string{"python3", "-u", "main.py"}}
	s.WithEnvironments(map[string]Env{
		"docker": {Runtime: img, Langs: map[string]sandbox.Language{"python": inImage}},
		"robots": {Runtime: down, Langs: map[string]sandbox.Language{"python": inImage}},
	})
	who := Caller{UserID: "u1", Role: auth.RoleAuthor}
	ctx := context.Background()

	// The server's policy (import os refused) is not the image's.
	o, err := s.Run(ctx, who, Request{Code: "import os", Environment: "Docker"}, IO{})
	if err != nil || o.Environment != "docker" || len(img.ran) != 1 || img.ran[0].Run[1] != "-u" || server.calls != 0 || val.calls != 0 {
		t.Fatalf("docker: %v %+v image runs %v server runs %d checks %d", err, o, img.ran, server.calls, val.calls)
	}
	if _, err := s.Run(ctx, who, Request{Code: "print(1)", Environment: "server"}, IO{}); err != nil || server.calls != 1 {
		t.Fatalf("server: %v, %d runs", err, server.calls)
	}
	_, err = s.Run(ctx, who, Request{Code: "int main(){}", Language: "c", Environment: "docker"}, IO{})
	if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "runs python, not c") {
		t.Fatalf("language the image lacks: %v", err)
	}
	_, err = s.Run(ctx, who, Request{Code: "print(1)", Environment: "robots"}, IO{})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Busy || ae.Code != "environment_unavailable" || ae.RetryAfter == 0 || !strings.Contains(ae.Message, "robots is unavailable") {
		t.Fatalf("engine down: %#v", err)
	}
	_, err = s.Run(ctx, who, Request{Code: "print(1)", Environment: "ros2"}, IO{})
	if !errors.As(err, &ae) || ae.Kind != apperr.Busy || !strings.Contains(ae.Message, "needs the ros2 image") {
		t.Fatalf("ros2 without an image: %v", err)
	}
	_, err = s.Run(ctx, who, Request{Code: "print(1)", Environment: "nope"}, IO{})
	if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "server, docker, pyodide, robots") {
		t.Fatalf("unknown environment: %v", err)
	}
}

func TestDockerStaysAnAliasWithoutAnEngine(t *testing.T) {
	s, server, _, _ := newService(t)
	o, err := s.Run(context.Background(), Caller{UserID: "u1", Role: auth.RoleAuthor}, Request{Code: "print(1)", Environment: "docker"}, IO{})
	if err != nil || o.Environment != "server" || server.calls != 1 {
		t.Fatalf("%v %+v %d", err, o, server.calls)
	}
}
