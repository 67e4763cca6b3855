package bwrap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// allowedSyscalls is what interpreters, compilers and ordinary programs need.
// Everything else fails with EPERM: an allowlist, because a denylist misses
// new syscalls and (on x86_64) the whole 32-bit int 0x80 table. Left out on
// purpose: namespaces and mounts (unshare, setns, mount, pivot_root),
// tracing (ptrace, process_vm_*, perf_event_open), the kernel's keyrings,
// bpf, userfaultfd, io_uring, module loading, clock setting, reboot, swap,
// quotas, kexec, personality and handle-based opens.
var allowedSyscalls = []string{
	// files and descriptors
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
	"open", "openat", "openat2", "close", "close_range", "creat", "lseek", "dup", "dup2", "dup3",
	"stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getdents", "getdents64", "getcwd", "chdir", "fchdir",
	"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat",
	"truncate", "ftruncate", "fallocate", "fsync", "fdatasync", "sync_file_range", "umask", "utime", "utimes", "utimensat", "futimesat",
	"fcntl", "flock", "ioctl", "pipe", "pipe2", "sendfile", "splice", "tee", "copy_file_range",
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
	"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "memfd_create",
	"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "fadvise64", "readahead",
	// memory
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "msync", "mincore", "mlock", "munlock", "membarrier",
	// processes and threads (clone3 is answered ENOSYS below so glibc falls back to clone)
	"clone", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
	"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
	"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "futex", "futex_waitv", "arch_prctl", "prctl",
	"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min",
	"getpriority", "setpriority", "getrlimit", "setrlimit", "prlimit64", "getrusage", "times", "uname", "sysinfo", "capget",
	"kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "sigaltstack", "pause", "alarm",
	"pidfd_open", "pidfd_send_signal",
	// time
	"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time", "nanosleep", "getitimer", "setitimer",
	"timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
	// sockets: socket itself is refused and socketpair allowed only for
	// pairFamilies (see below); the calls on a socket stay for the pairs.
	"connect", "bind", "listen", "accept", "accept4", "getsockname", "getpeername",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt",
	// misc used by runtimes (random numbers, NUMA hints, io priority)
	"getrandom", "get_mempolicy", "set_mempolicy", "mbind", "ioprio_get", "getcpu",
}

// pairFamilies are the families socketpair(2) may make: a connected pair
// of unix sockets, which nothing outside the process tree can reach
// (multiprocessing's pipes, asyncio's wake-up pair). socket(2) is refused
// for every family. Sandboxes share one empty network namespace (see
// netns.go), so any socket, even one that can reach nothing, would be
// state they share: abstract unix socket names (a channel between
// sandboxes), port numbers, /proc/net's socket lists. Without a socket
// there is no network to refuse either: a program gets EPERM at once
// where it got "network unreachable" before. vsock, packet, alg,
// netlink, key and the rest were refused before as well (vsock is not
// covered by network namespaces; the others are kernel surface). glibc
// works without them (getaddrinfo assumes both IP versions when it
// cannot ask netlink, and reads /etc/hosts without a socket).
var pairFamilies = []uint64{unix.AF_UNIX}

// ownNetFamilies are the families socket(2) may make where each sandbox
// has a network namespace of its own: the container runtime's, whose
// environments (ROS 2) talk over their own loopback. Local and IP only.
var ownNetFamilies = []uint64{unix.AF_UNIX, unix.AF_INET, unix.AF_INET6}

// familyRules allows socketpair(2) when its first argument is one of
// pairFamilies.
func familyRules() []seccomp.NameWithConditions {
	var rules []seccomp.NameWithConditions
	for _, fam := range pairFamilies {
		rules = append(rules, seccomp.NameWithConditions{
			Name:       "socketpair",
			Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: fam}},
		})
	}
	return rules
}

// Return values as the kernel reads them: the action in the high 16 bits,
// errno in the low 16. Denials are EPERM so programs see an ordinary error.
const (
	retAllow  = uint32(seccomp.ActionAllow)
	retDeny   = uint32(seccomp.ActionErrno) | uint32(unix.EPERM)
	retENOSYS = uint32(seccomp.ActionErrno) | uint32(unix.ENOSYS)
)

// Offsets into struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }.
// The arguments are u64 in host order, and every arch go-seccomp-bpf has
// syscall tables for is little-endian: args[0]'s low word comes first.
const (
	offNr     = 0
	offArch   = 4
	offArg0Lo = 16
	offArg0Hi = 20
)

// x32SyscallBit marks the x32 ABI's syscalls, which arrive with x86_64's
// audit arch. go-seccomp-bpf answers them ENOSYS before looking further,
// and so does this filter, so the verdicts stay the library's.
const x32SyscallBit = 0x40000000

// seccompProgram assembles the allowlist into the raw sock_filter array that
// bwrap's --seccomp reads.
func seccompProgram() ([]byte, error) {
	insns, err := filterInstructions()
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("seccomp: encode: %w", err)
	}
	var buf bytes.Buffer
	for _, r := range raw {
		// struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in host order
		_ = binary.Write(&buf, binary.NativeEndian, r)
	}
	return buf.Bytes(), nil
}

// filterInstructions builds the filter as a binary search over syscall
// numbers rather than go-seccomp-bpf's one comparison per syscall: the
// kernel runs the filter for every syscall number each time a sandbox
// attaches it (to prepare its allow cache), and along a chain of ~240
// comparisons that cost each sandbox 0.5-0.8 ms of CPU. The verdicts
// are go-seccomp-bpf's for the same policy (seccomp_test.go holds them to
// it): a foreign arch is denied, x32 numbers get ENOSYS, then each number
// its verdict.
func filterInstructions() ([]bpf.Instruction, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, err
	}
	verdicts, err := syscallVerdicts(info)
	if err != nil {
		return nil, err
	}
	spans := verdictSpans(verdicts)
	if len(spans) < 2 {
		return nil, fmt.Errorf("seccomp: empty policy")
	}

	// The search's leaves jump to returns and argument checks shared at the
	// end, so each node of the search is a single comparison.
	var p prog
	rets := map[uint32]label{}
	var retOrder []uint32
	ret := func(v uint32) label {
		l, ok := rets[v]
		if !ok {
			l = p.newLabel()
			rets[v] = l
			retOrder = append(retOrder, v)
		}
		return l
	}
	type argCheck struct {
		verdict
		at label
	}
	var checks []argCheck
	leaf := func(v verdict) label {
		if v.families == nil {
			return ret(v.ret)
		}
		for _, c := range checks {
			if c.equal(v) {
				return c.at
			}
		}
		c := argCheck{v, p.newLabel()}
		checks = append(checks, c)
		return c.at
	}

	p.add(bpf.LoadAbsolute{Off: offArch, Size: 4})
	p.jumpIf(bpf.JumpEqual, uint32(info.ID), next, ret(retDeny))
	p.add(bpf.LoadAbsolute{Off: offNr, Size: 4})
	if info.ID == arch.X86_64.ID {
		p.jumpIf(bpf.JumpGreaterOrEqual, x32SyscallBit, ret(retENOSYS), next)
	}
	p.search(spans, leaf)
	for _, c := range checks {
		p.mark(c.at)
		// args[0] is 64 bits wide: 1<<32|AF_UNIX is not AF_UNIX.
		p.add(bpf.LoadAbsolute{Off: offArg0Hi, Size: 4})
		p.jumpIf(bpf.JumpEqual, 0, next, ret(c.ret))
		p.add(bpf.LoadAbsolute{Off: offArg0Lo, Size: 4})
		for i, fam := range c.families {
			miss := next
			if i == len(c.families)-1 {
				miss = ret(c.ret)
			}
			p.jumpIf(bpf.JumpEqual, uint32(fam), ret(retAllow), miss)
		}
	}
	for _, v := range retOrder {
		p.mark(rets[v])
		p.add(bpf.RetConstant{Val: v})
	}
	return p.resolve()
}

// verdict is what a syscall number gets: ret, or, when families is set,
// allow if args[0] is one of them and ret otherwise.
type verdict struct {
	ret      uint32
	families []uint64
}

func (v verdict) equal(w verdict) bool {
	return v.ret == w.ret && slices.Equal(v.families, w.families)
}

// syscallVerdicts maps the numbers the policy names to their verdicts, with
// go-seccomp-bpf's precedence: the allow group (names, then familyRules)
// before clone3's ENOSYS. Numbers not in the map are denied.
func syscallVerdicts(info *arch.Info) (map[uint32]verdict, error) {
	v := map[uint32]verdict{}
	for _, n := range allowedSyscalls {
		if nr, ok := info.SyscallNames[n]; ok {
			v[uint32(nr)] = verdict{ret: retAllow}
		}
	}
	for _, r := range familyRules() {
		nr, ok := info.SyscallNames[r.Name]
		if !ok {
			return nil, fmt.Errorf("seccomp: no syscall %s on %s", r.Name, info.Name)
		}
		// Only what familyRules says today is translated; anything else
		// must fail here rather than filter differently from what it says.
		if len(r.Conditions) != 1 {
			return nil, fmt.Errorf("seccomp: %s: want one condition, have %d", r.Name, len(r.Conditions))
		}
		c := r.Conditions[0]
		if c.Argument != 0 || c.Operation != seccomp.Equal || c.Value > math.MaxUint32 {
			return nil, fmt.Errorf("seccomp: %s: only args[0] == a 32-bit value is supported, not %+v", r.Name, c)
		}
		cur, ok := v[uint32(nr)]
		if ok && cur.families == nil {
			return nil, fmt.Errorf("seccomp: %s is both allowed and conditional", r.Name)
		}
		v[uint32(nr)] = verdict{ret: retDeny, families: append(cur.families, c.Value)}
	}
	if nr, ok := info.SyscallNames["clone3"]; ok {
		if _, taken := v[uint32(nr)]; !taken {
			// so glibc falls back to clone
			v[uint32(nr)] = verdict{ret: retENOSYS}
		}
	}
	return v, nil
}

// span is a run of syscall numbers with the same verdict, from first up to
// the next span's first (the last span has no end).
type span struct {
	first uint32
	verdict
}

// verdictSpans runs the verdicts together: neighbouring syscalls are mostly
// allowed or denied alike, so there are half as many spans as syscalls, and
// the search has one level less.
func verdictSpans(verdicts map[uint32]verdict) []span {
	top := uint32(0)
	for nr := range verdicts {
		top = max(top, nr)
	}
	var spans []span
	for nr := uint32(0); nr <= top+1; nr++ {
		v, ok := verdicts[nr]
		if !ok {
			v = verdict{ret: retDeny}
		}
		if len(spans) == 0 || !spans[len(spans)-1].equal(v) {
			spans = append(spans, span{nr, v})
		}
	}
	return spans
}

// prog is a filter under construction whose jumps name labels; resolve
// turns them into the forward skips classic BPF wants.
type prog struct {
	insns  []bpf.Instruction
	at     []int // instruction each label marks
	fixups []fixup
}

type label int

// next is the instruction after the jump.
const next label = -1

type fixup struct {
	insn            int
	ifTrue, ifFalse label
}

func (p *prog) newLabel() label {
	p.at = append(p.at, -1)
	return label(len(p.at) - 1)
}

func (p *prog) mark(l label) { p.at[l] = len(p.insns) }

func (p *prog) add(insn bpf.Instruction) { p.insns = append(p.insns, insn) }

func (p *prog) jumpIf(cond bpf.JumpTest, val uint32, ifTrue, ifFalse label) {
	p.fixups = append(p.fixups, fixup{len(p.insns), ifTrue, ifFalse})
	p.add(bpf.JumpIf{Cond: cond, Val: val})
}

// search emits a balanced search over spans (at least two) for the syscall
// number in A, and returns the label of its first instruction.
func (p *prog) search(spans []span, leaf func(verdict) label) label {
	if len(spans) == 1 {
		return leaf(spans[0].verdict)
	}
	here := p.newLabel()
	p.mark(here)
	mid := len(spans) / 2
	insn := len(p.insns)
	p.add(bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: spans[mid].first})
	below := p.search(spans[:mid], leaf)
	above := p.search(spans[mid:], leaf)
	p.fixups = append(p.fixups, fixup{insn, above, below})
	return here
}

func (p *prog) resolve() ([]bpf.Instruction, error) {
	skip := func(from int, l label) (uint8, error) {
		if l == next {
			return 0, nil
		}
		n := p.at[l] - from - 1
		// Conditional jumps reach at most 255 instructions ahead. The whole
		// program is about 120 long; should it outgrow that, leaves would
		// need ja trampolines, and this refuses rather than miscompiles.
		if p.at[l] < 0 || n < 0 || n > math.MaxUint8 {
			return 0, fmt.Errorf("seccomp: jump from %d to %d out of reach", from, p.at[l])
		}
		return uint8(n), nil
	}
	for _, f := range p.fixups {
		j := p.insns[f.insn].(bpf.JumpIf)
		var err error
		if j.SkipTrue, err = skip(f.insn, f.ifTrue); err != nil {
			return nil, err
		}
		if j.SkipFalse, err = skip(f.insn, f.ifFalse); err != nil {
			return nil, err
		}
		p.insns[f.insn] = j
	}
	return p.insns, nil
}

// SyscallPolicy is the allowlist and the families socket may make, for
// runtimes that express the filter in their own format and give each
// sandbox its own network namespace (the container runtime hands it to the
// engine as a seccomp profile, adding socketpair for AF_UNIX).
func SyscallPolicy() (allowed []string, socketFamilies []uint64) {
	return append([]string(nil), allowedSyscalls...), append([]uint64(nil), ownNetFamilies...)
}
