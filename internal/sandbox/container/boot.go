package container

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/runblock/runblock/internal/sandbox"
)

// bootScript is PID 1 of every container. It reads the files from stdin
// ("<size> <name>" then the bytes, repeated, then "go <nonce>"), so a
// container can be started ahead and wait for its code (warm), runs the
// program with the rest of stdin, and reports how it ended on stderr after
// a line starting with the nonce. The nonce is random per run and never in
// the program's reach before it is printed, so the program cannot fake the
// report's start. head -c reads exactly n bytes (GNU and busybox), leaving
// the program's input in the pipe. Only shell built-ins run after the
// program: a fork could fail once the program used up the pids limit.
const bootScript = `set -f
while read -r n f; do
	[ "$n" = go ] && break
	head -c "$n" >"/box/$f" || { echo "runblock: cannot write /box (an image must not have /box: the engine keeps its mode)" >&2; exit 125; }
done
[ "$n" = go ] || exit 125
"$@"
rc=$?
m=; c=; o=0
for p in /sys/fs/cgroup/memory/memory.max_usage_in_bytes /sys/fs/cgroup/memory.peak; do
	[ -z "$m" ] && [ -r "$p" ] && read -r m <"$p"
done
for p in /sys/fs/cgroup/cpuacct/cpuacct.usage /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage; do
	[ -z "$c" ] && [ -r "$p" ] && read -r c <"$p"
done
if [ -z "$c" ] && [ -r /sys/fs/cgroup/cpu.stat ]; then
	while read -r k v; do [ "$k" = usage_usec ] && c=${v}000; done </sys/fs/cgroup/cpu.stat
fi
for e in /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events; do
	[ -r "$e" ] && while read -r k v; do [ "$k" = oom_kill ] && o=$v; done <"$e"
done
printf '\n%s %s %s %s %s\n' "$f" "$rc" "${m:-0}" "${c:-0}" "$o" >&2
exit $rc
`

// bootArgv runs run under the boot script.
func bootArgv(run []string) []string {
	return append([]string{"/bin/sh", "-c", bootScript, "runblock-boot"}, run...)
}

var fileName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// encodeFiles is what the boot script reads before the program starts.
func encodeFiles(lang sandbox.Language, files []sandbox.File, nonce string) ([]byte, error) {
	var b bytes.Buffer
	for i, f := range files {
		name := f.Name
		if name == "" && i == 0 {
			name = lang.FileName
		}
		if !fileName.MatchString(name) {
			return nil, fmt.Errorf("container: bad file name %q", name)
		}
		fmt.Fprintf(&b, "%d %s\n", len(f.Content), name)
		b.Write(f.Content)
	}
	fmt.Fprintf(&b, "go %s\n", nonce)
	return b.Bytes(), nil
}

func newNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return "rbend" + hex.EncodeToString(b[:])
}

// report is what the boot script printed after the program.
type report struct {
	ok       bool
	exitCode int
	memPeak  int64
	cpuNanos int64
	oomKills int
}

// trailerWriter passes stderr through live, except the boot script's report:
// bytes that could be the start of "\n"+nonce are held back until they
// prove not to be, and everything from the marker on is kept for parse.
type trailerWriter struct {
	mu     sync.Mutex
	w      io.Writer
	marker []byte
	held   []byte
	tail   []byte
	found  bool
}

func newTrailerWriter(w io.Writer, nonce string) *trailerWriter {
	return &trailerWriter{w: w, marker: []byte("\n" + nonce + " ")}
}

func (t *trailerWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.found {
		t.tail = append(t.tail, p...)
		return len(p), nil
	}
	buf := append(t.held, p...)
	if i := bytes.Index(buf, t.marker); i >= 0 {
		t.found = true
		t.tail = append(t.tail, buf[i+len(t.marker):]...)
		t.held = nil
		t.emit(buf[:i])
		return len(p), nil
	}
	// Keep the longest suffix that is a prefix of the marker.
	keep := 0
	for k := min(len(buf), len(t.marker)-1); k > 0; k-- {
		if bytes.HasSuffix(buf, t.marker[:k]) {
			keep = k
			break
		}
	}
	t.emit(buf[:len(buf)-keep])
	t.held = append([]byte(nil), buf[len(buf)-keep:]...)
	return len(p), nil
}

func (t *trailerWriter) emit(b []byte) {
	if len(b) > 0 && t.w != nil {
		t.w.Write(b)
	}
}

// finish passes on what was held back when no report came and returns the
// report.
func (t *trailerWriter) finish() report {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.found {
		t.emit(t.held)
		t.held = nil
		return report{}
	}
	f := strings.Fields(string(t.tail))
	if len(f) < 4 {
		return report{}
	}
	var r report
	var err error
	if r.exitCode, err = strconv.Atoi(f[0]); err != nil {
		return report{}
	}
	r.memPeak, _ = strconv.ParseInt(f[1], 10, 64)
	r.cpuNanos, _ = strconv.ParseInt(f[2], 10, 64)
	r.oomKills, _ = strconv.Atoi(f[3])
	r.ok = true
	return r
}
