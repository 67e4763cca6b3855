package bwrap

import (
	"slices"
	"testing"
)

func TestMountKeep(t *testing.T) {
	k := mountKeep{trees: []string{"/usr", "/tmp/runblock-boxes", "/run/runblock-usr"}, points: []string{"/proc", "/dev"}}
	for p, want := range map[string]bool{
		"/": true, "/usr": true, "/usr/local": true, "/tmp": true, "/tmp/runblock-boxes/x": true,
		"/run": true, "/run/runblock-usr/61000/usr": true, "/proc": true, "/dev": true,
		"/proc/sys/fs/binfmt_misc": false, "/dev/pts": false, "/dev/shm": false, "/sys": false,
		"/sys/fs/cgroup/memory": false, "/usrx": false, "/tmp/other": false, "/mnt/data": false, "/home": false,
	} {
		if got := k.keeps(p); got != want {
			t.Errorf("keeps(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestMountPointsUnescaped(t *testing.T) {
	raw := "22 1 0:21 / /proc rw - proc proc rw\n" +
		"30 22 0:5 / /mnt/with\\040space rw - tmpfs none rw\n" +
		"31 22 0:6 / /mnt/back\\134slash\\011tab rw - tmpfs none rw\n\n"
	got := mountPoints([]byte(raw))
	want := []string{"/proc", "/mnt/with space", "/mnt/back\\slash\ttab"}
	if !slices.Equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
}
