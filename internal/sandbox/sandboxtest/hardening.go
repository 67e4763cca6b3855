package sandboxtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/runblock/runblock/internal/sandbox"
)

// fdProbe lists every descriptor the program holds and prints what it can
// read through each one above 2.
const fdProbe = `import os
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
# listdir's own descriptor is gone once it returns.
fds = sorted(fd for fd in map(int, os.listdir('/proc/self/fd')) if is_open(fd))
print('fds', fds)
for fd in fds:
    if fd > 2:
        print('link', fd, os.readlink('/proc/self/fd/%d' % fd))
        try:
            print('read', fd, os.pread(fd, 100, 0))
        except OSError as e:
            print('unreadable', fd, e.errno)
`

// inheritedFDs: a descriptor the host process holds without close-on-exec
// (as a server started from `exec 7</etc/shadow; exec runblock serve` does)
// must not reach the program, nor may bubblewrap's own control descriptors.
func (s *suite) inheritedFDs(t *testing.T) {
	secret := "inherited-" + UniqueToken()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	// syscall.Open, unlike os.Open, leaves out O_CLOEXEC: exec passes it on.
	fd, err := syscall.Open(p, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	r := s.py(t, fdProbe, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if strings.Contains(r.stdout, secret) || !strings.Contains(r.stdout, "fds [0, 1, 2]\n") {
		t.Fatalf("descriptors other than 0-2 reached the program (host fd %d):\n%s", fd, r.stdout)
	}
}

// socketFamilies: a program makes sockets of the families ordinary
// programs use only where its sandbox has a network namespace of its own
// (LocalSockets): unix and IP. Where sandboxes share one, socket(2) is
// refused for every family, as any socket would be state they share
// (abstract unix names, ports). vsock (not covered by network namespaces:
// it reaches the hypervisor host) and the rest (kernel surface nobody here
// needs) are refused everywhere. socketpair(2) makes a local pair, and
// names resolve from /etc/hosts, everywhere.
func (s *suite) socketFamilies(t *testing.T) {
	code := `import socket, errno
def try_family(fam, typ):
    try:
        socket.socket(fam, typ).close()
        return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
for name, fam, typ in [('unix', 1, socket.SOCK_STREAM), ('unix-dgram', 1, socket.SOCK_DGRAM), ('inet', 2, socket.SOCK_STREAM), ('inet-udp', 2, socket.SOCK_DGRAM), ('inet6', 10, socket.SOCK_DGRAM)]:
    print('local', name, try_family(fam, typ))
for name, fam, typ in [('vsock', 40, socket.SOCK_STREAM), ('packet', 17, socket.SOCK_DGRAM), ('alg', 38, socket.SOCK_SEQPACKET), ('netlink', 16, socket.SOCK_RAW), ('key', 15, socket.SOCK_RAW), ('bluetooth', 31, socket.SOCK_STREAM), ('rds', 21, socket.SOCK_SEQPACKET), ('tipc', 30, socket.SOCK_RDM), ('xdp', 44, socket.SOCK_RAW)]:
    print('denied', name, try_family(fam, typ))
a, b = socket.socketpair()
a.send(b'pair'); print('socketpair', b.recv(4))
print('resolve', socket.getaddrinfo('127.0.0.1', 80, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)[0][4][0])
`
	r := s.py(t, code, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	local := "EPERM"
	if s.langs.LocalSockets {
		local = "ok"
	}
	if n := strings.Count(r.stdout, "local ") + strings.Count(r.stdout, "denied "); n != 14 {
		t.Fatalf("%d of 14 families tried:\n%s", n, r.stdout)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Fields(line)
		switch {
		case f[0] == "local" && f[2] != local:
			t.Errorf("want %s: %q", local, line)
		case f[0] == "denied" && f[2] != "EPERM":
			t.Errorf("socket family not denied by the filter: %q", line)
		}
	}
	if !strings.Contains(r.stdout, "socketpair b'pair'") || !strings.Contains(r.stdout, "resolve 127.0.0.1") {
		t.Fatalf("socketpair or name resolution broken:\n%s", r.stdout)
	}
}

// devReadOnly: /dev must not be a second, uncapped /tmp; /dev/shm (POSIX
// shared memory, multiprocessing's semaphores) stays writable but capped.
func (s *suite) devReadOnly(t *testing.T) {
	code := `import errno, multiprocessing, os
def fill(path):
    written = 0
    try:
        with open(path, 'wb') as f:
            for _ in range(64):
                f.write(b'x' * (1 << 20))
                f.flush()
                written += 1
        return 'full %d' % written
    except OSError as e:
        return 'stopped %d %s' % (written, errno.errorcode[e.errno])
print('dev', fill('/dev/big'))
print('shm', fill('/dev/shm/big'))
os.remove('/dev/shm/big')
with open('/dev/null', 'w') as f:
    f.write('x')
print('urandom', len(open('/dev/urandom', 'rb').read(8)))
lock = multiprocessing.Lock()
with lock:
    print('semaphore ok')
`
	r := s.py(t, code, sandbox.Limits{TmpBytes: 8 << 20})
	expect(t, r, sandbox.StatusSuccess)
	// Read-only (EROFS) or not the sandbox's to write (EACCES: bwrap's
	// shared /dev directory, root's and 0755): either way nothing lands.
	if !strings.Contains(r.stdout, "dev stopped 0 EROFS") && !strings.Contains(r.stdout, "dev stopped 0 EACCES") {
		t.Errorf("/dev is writable:\n%s", r.stdout)
	}
	var mb int
	var code2 string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "shm ") {
			fmt.Sscanf(line, "shm stopped %d %s", &mb, &code2)
		}
	}
	if mb == 0 || mb > 8 || code2 != "ENOSPC" {
		t.Errorf("/dev/shm not capped at 8 MiB:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "urandom 8") || !strings.Contains(r.stdout, "semaphore ok") {
		t.Errorf("ordinary /dev use broken:\n%s", r.stdout)
	}
}

// hostDetailsHidden: the kernel command line, host-wide CPU counters, the
// server's run directory and pid (in bubblewrap's argv, PID 1's cmdline)
// and the host's /usr/local are none of a learner's business.
func (s *suite) hostDetailsHidden(t *testing.T) {
	hostCmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	hostStat, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	var hostBtime string
	for _, line := range strings.Split(string(hostStat), "\n") {
		if strings.HasPrefix(line, "btime ") {
			hostBtime = line
		}
	}
	code := `import os
print('cmdline', repr(open('/proc/cmdline').read()))
print('init', open('/proc/1/cmdline', 'rb').read())
print('stat', repr(open('/proc/stat').read()))
print('usrlocal', sorted(os.listdir('/usr/local')) if os.path.isdir('/usr/local') else None)
print('cpus', os.cpu_count())
`
	r := s.py(t, code, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if strings.TrimSpace(string(hostCmdline)) != "" && strings.Contains(r.stdout, strings.TrimSpace(string(hostCmdline))) {
		t.Errorf("host kernel command line visible:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "cmdline ''\n") {
		t.Errorf("/proc/cmdline not emptied:\n%s", r.stdout)
	}
	pid := fmt.Sprint(os.Getpid())
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "init ") && (strings.Contains(line, "/box") || strings.Contains(line, pid+".") || strings.Contains(line, os.TempDir())) {
			t.Errorf("run directory or server pid visible in PID 1's argv: %s", line)
		}
		if strings.HasPrefix(line, "stat ") && (strings.Contains(line, hostBtime) || !strings.Contains(line, `\nctxt 0\n`)) {
			t.Errorf("host-wide /proc/stat counters visible: %.300s", line)
		}
	}
	entries, _ := os.ReadDir("/usr/local")
	for _, e := range entries {
		if e.Name() == "lib" {
			continue // where pip installs Python packages for the whole host
		}
		if strings.Contains(r.stdout, "'"+e.Name()+"'") {
			t.Errorf("host /usr/local/%s visible:\n%s", e.Name(), r.stdout)
		}
	}
	if strings.Contains(r.stdout, "cpus None") {
		t.Errorf("os.cpu_count() broken by the hidden /proc/stat:\n%s", r.stdout)
	}
}

// compileLimits: a compile step reports the limits it ran under (its own,
// larger budget), so a failure message names the right numbers.
func (s *suite) compileLimits(t *testing.T) {
	want := s.langs.C.CompileLimits
	if want.WallTime == 0 && want.MemoryBytes == 0 {
		t.Fatal("the suite needs a compiled language with its own compile limits")
	}
	bad := s.run(t, context.Background(), s.langs.C, "int main(void){ return 0 }\n", "", sandbox.Limits{WallTime: 7 * time.Second})
	expect(t, bad, sandbox.StatusError)
	got := bad.res.Limits
	if bad.res.Stage != sandbox.StageCompile || (want.MemoryBytes != 0 && got.MemoryBytes != want.MemoryBytes) || (want.WallTime != 0 && got.WallTime != want.WallTime) {
		t.Errorf("compile stage limits %+v, want the language's compile limits %+v", got, want)
	}
	ok := s.run(t, context.Background(), s.langs.C, "int main(void){ return 0; }\n", "", sandbox.Limits{WallTime: 7 * time.Second})
	expect(t, ok, sandbox.StatusSuccess)
	if ok.res.Limits.WallTime != 7*time.Second {
		t.Errorf("run stage limits %+v, want the request's 7s wall time", ok.res.Limits)
	}
}

// hostLocksUnaffected: locks a program takes on system files must not be
// seen by the host (a way to block host tools) or by other sandboxes (a
// covert channel between concurrent runs). Locks on the program's own
// files keep working: SQLite depends on them.
func (s *suite) hostLocksUnaffected(t *testing.T) {
	targets := []string{"/usr/bin/python3", "/etc/ld.so.cache"}
	code := `import fcntl, os, sqlite3
held = []
for path in ['` + strings.Join(targets, "', '") + `']:
    f = open(path, 'rb')
    held.append(f)
    for name, take in [('flock', lambda: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)), ('posix', lambda: fcntl.lockf(f, fcntl.LOCK_SH | fcntl.LOCK_NB, 0, 0))]:
        try:
            take()
            print(path, name, 'taken')
        except OSError as e:
            print(path, name, 'refused', e.errno)
db = sqlite3.connect('/tmp/t.db')
db.execute('create table t(x)'); db.execute('insert into t values (42)'); db.commit()
print('sqlite', db.execute('select x from t').fetchone()[0], sqlite3.connect(':memory:').execute('select 7').fetchone()[0])
g = open('/tmp/own', 'w')
fcntl.flock(g, fcntl.LOCK_EX)
print('own lock ok')
` + pauseAtMarker
	var seen []string
	probe := func() {
		for _, target := range targets {
			f, err := os.Open(target)
			if err != nil {
				seen = append(seen, err.Error())
				continue
			}
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
				seen = append(seen, fmt.Sprintf("flock %s: %v", target, err))
			}
			// An OFD lock query: would a write lock conflict with anything?
			lk := unix.Flock_t{Type: unix.F_WRLCK}
			if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
				seen = append(seen, fmt.Sprintf("fcntl %s: %v", target, err))
			} else if lk.Type != unix.F_UNLCK {
				seen = append(seen, fmt.Sprintf("fcntl %s: lock held by pid %d", target, lk.Pid))
			}
			f.Close()
		}
	}
	r := s.observed(t, context.Background(), s.langs.Python, code, sandbox.Limits{}, probe)
	expect(t, r, sandbox.StatusSuccess)
	if len(seen) > 0 {
		t.Errorf("a sandbox's locks reached host files: %v\n%s", seen, r.stdout)
	}
	if !strings.Contains(r.stdout, "sqlite 42 7") || !strings.Contains(r.stdout, "own lock ok") {
		t.Errorf("locks on the program's own files broken:\n%s%s", r.stdout, r.stderr)
	}
}
