package bwrap

import (
	"bytes"
	"encoding/binary"
	"fmt"

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
	// sockets: allowed so programs get ordinary errors; the empty network
	// namespace has no route out. socket and socketpair are allowed only for
	// socketFamilies (see below).
	"connect", "bind", "listen", "accept", "accept4", "getsockname", "getpeername",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt",
	// misc used by runtimes (random numbers, NUMA hints, io priority)
	"getrandom", "get_mempolicy", "set_mempolicy", "mbind", "ioprio_get", "getcpu",
}

// socketFamilies are the address families a program may create sockets of:
// local and IP. The rest is denied: vsock is not covered by network
// namespaces (it reaches the hypervisor host), and the others (packet, alg,
// netlink, key, bluetooth, ...) are kernel surface no learner's program
// needs. glibc works without netlink (getaddrinfo assumes both IP
// versions when it cannot ask).
var socketFamilies = []uint64{unix.AF_UNIX, unix.AF_INET, unix.AF_INET6}

// familyRules allows socket(2) and socketpair(2) when their first argument
// is one of socketFamilies.
func familyRules() []seccomp.NameWithConditions {
	var rules []seccomp.NameWithConditions
	for _, name := range []string{"socket", "socketpair"} {
		for _, fam := range socketFamilies {
			if name == "socketpair" && fam != unix.AF_UNIX {
				continue // socketpair only makes sense locally
			}
			rules = append(rules, seccomp.NameWithConditions{
				Name:       name,
				Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: fam}},
			})
		}
	}
	return rules
}

// seccompProgram assembles the allowlist into the raw sock_filter array that
// bwrap's --seccomp reads.
func seccompProgram() ([]byte, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range allowedSyscalls {
		if _, ok := info.SyscallNames[n]; ok {
			names = append(names, n)
		}
	}
	groups := []seccomp.SyscallGroup{{Names: names, NamesWithCondtions: familyRules(), Action: seccomp.ActionAllow}}
	if _, ok := info.SyscallNames["clone3"]; ok {
		groups = append(groups, seccomp.SyscallGroup{
			Names:  []string{"clone3"},
			Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS),
		})
	}
	policy := seccomp.Policy{DefaultAction: seccomp.ActionErrno, Syscalls: groups}
	insns, err := policy.Assemble()
	if err != nil {
		return nil, fmt.Errorf("seccomp: assemble: %w", err)
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

// SyscallPolicy is the allowlist and the socket families, for runtimes
// that express the same filter in their own format (the container runtime
// hands it to the engine as a seccomp profile).
func SyscallPolicy() (allowed []string, families []uint64) {
	return append([]string(nil), allowedSyscalls...), append([]uint64(nil), socketFamilies...)
}
