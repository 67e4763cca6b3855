package config

import (
	"github.com/runblock/runblock/internal/sandbox"
	"strings"
	"testing"
)

func TestContainersParseAndValidate(t *testing.T) {
	c := Default()
	c.Auth.AllowAnonymous = true
	err := c.Parse(strings.NewReader(`{"containers":{"engine":"unix:///run/podman/podman.sock","warm":1,"environments":{
		"ros2":{"name":"ROS 2 Humble","image":"localhost/runblock-ros2:humble","languages":{"python":{"file_name":"main.py","run":["bash","-c","source /opt/ros/humble/setup.bash && exec python3 -u main.py"]}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if env := c.Containers.Environments["ros2"]; env.Image != "localhost/runblock-ros2:humble" || *c.Containers.Warm != 1 {
		t.Fatalf("%+v", c.Containers)
	}

	c.Containers.Engine = "/var/run/docker.sock"
	c.Containers.Environments["server"] = ContainerEnv{User: "0:0", Engine: "/run/gvisor.sock"}
	c.Containers.Environments["Bad Id"] = ContainerEnv{Image: "x", Languages: map[string]sandbox.Language{"c": {FileName: "main.c", Run: []string{"./main"}, Compile: []string{"gcc"}}}}
	err = c.Validate()
	for _, want := range []string{"containers.engine", "containers.environments.server: server is a built-in", "containers.environments.server.image", "containers.environments.server.user", "containers.environments.server.engine", "containers.environments.server.languages", "containers.environments.Bad Id: id", "containers.environments.Bad Id.languages.c.compile"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %v", want, err)
		}
	}

	c = Default()
	c.Auth.AllowAnonymous = true
	c.Containers.Environments = map[string]ContainerEnv{"docker": {Image: "python:3"}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "containers.engine: must be set") {
		t.Fatalf("environments without an engine: %v", err)
	}
}
