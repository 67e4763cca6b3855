package bwrap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// linearProgram is the filter as go-seccomp-bpf assembles the same policy:
// one comparison per syscall in a row. It is the reference the hand-built
// program must agree with, verdict for verdict.
func linearProgram() ([]byte, error) {
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
		return nil, err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for _, r := range raw {
		_ = binary.Write(&buf, binary.NativeEndian, r)
	}
	return buf.Bytes(), nil
}

// decodeFilter reads a sock_filter array back into instructions.
func decodeFilter(t *testing.T, prog []byte) []bpf.Instruction {
	t.Helper()
	if len(prog)%8 != 0 {
		t.Fatalf("program is %d bytes, not whole sock_filters", len(prog))
	}
	var raw []bpf.RawInstruction
	for i := 0; i < len(prog); i += 8 {
		raw = append(raw, bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(prog[i:]),
			Jt: prog[i+2],
			Jf: prog[i+3],
			K:  binary.NativeEndian.Uint32(prog[i+4:]),
		})
	}
	insns, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("program holds instructions x/net/bpf does not know")
	}
	return insns
}

// seccompData lays out struct seccomp_data { int nr; u32 arch; u64 ip;
// u64 args[6]; } for x/net/bpf's VM. The kernel loads 32-bit words in host
// order, the VM always big-endian (golang/go#20556), so every word is
// stored big-endian at the offset where the host would keep it: the VM
// then loads what the kernel would, and args[0]'s low word stays at
// offset 16 and its high word at 20, where the programs look for them.
// (go-seccomp-bpf's own tests write the whole struct big-endian instead
// and flip their argument offsets to match, which would not test the
// programs the kernel gets.)
func seccompData(nr, auditArch uint32, arg0 uint64) []byte {
	words := make([]uint32, 16)
	words[0] = nr
	words[1] = auditArch
	lo, hi := uint32(arg0), uint32(arg0>>32)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		lo, hi = hi, lo
	}
	words[4], words[5] = lo, hi
	b := make([]byte, 0, 64)
	for _, w := range words {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return b
}

type syscallCase struct {
	nr, arch uint32
	arg0     uint64
}

func (c syscallCase) String() string {
	return fmt.Sprintf("nr=%#x arch=%#x args[0]=%#x", c.nr, c.arch, c.arg0)
}

// syscallCases is every syscall number up to well past the last one, with
// and without the x32 bit, the numbers at the edges of 32 bits, under the
// native arch, the i386 compat arch and one no kernel has; socket and
// socketpair are tried with every small family and with families whose
// high bits are set.
func syscallCases(t *testing.T) []syscallCase {
	info, err := arch.GetInfo("")
	if err != nil {
		t.Fatal(err)
	}
	var nrs []uint32
	for nr := uint32(0); nr <= 1100; nr++ {
		nrs = append(nrs, nr, nr|0x40000000)
	}
	nrs = append(nrs, 0x3fffffff, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xfffffffe, 0xffffffff)
	arches := []uint32{uint32(info.ID), uint32(arch.I386.ID), 0x4000001e, 0x12345678}
	var args []uint64
	for fam := uint64(0); fam <= 64; fam++ {
		args = append(args, fam)
	}
	args = append(args, 1<<32|unix.AF_UNIX, 1<<32|unix.AF_INET, 0xffffffff00000002, 0xffffffff0000000a,
		1<<63|unix.AF_INET6, 1<<32, 0x80000001, 0xffffffff, 0xffffffffffffffff)
	socketish := map[uint32]bool{}
	for _, n := range []string{"socket", "socketpair"} {
		nr := uint32(info.SyscallNames[n])
		socketish[nr], socketish[nr|0x40000000] = true, true
	}
	var cases []syscallCase
	for _, a := range arches {
		for _, nr := range nrs {
			if !socketish[nr] {
				cases = append(cases, syscallCase{nr, a, 0}, syscallCase{nr, a, unix.AF_UNIX})
				continue
			}
			for _, arg := range args {
				cases = append(cases, syscallCase{nr, a, arg})
			}
		}
	}
	return cases
}

func runFilter(t *testing.T, vm *bpf.VM, c syscallCase) uint32 {
	t.Helper()
	v, err := vm.Run(seccompData(c.nr, c.arch, c.arg0))
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	return uint32(v)
}

func newVM(t *testing.T, prog []byte) *bpf.VM {
	t.Helper()
	vm, err := bpf.NewVM(decodeFilter(t, prog))
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// programs are go-seccomp-bpf's linear filter and the runtime's.
func programs(t *testing.T) (linear, search []byte) {
	t.Helper()
	linear, err := linearProgram()
	if err != nil {
		t.Fatal(err)
	}
	search, err = seccompProgram()
	if err != nil {
		t.Fatal(err)
	}
	return linear, search
}

func TestSeccompSameVerdictsAsLinearFilter(t *testing.T) {
	oldProg, newProg := programs(t)
	oldVM, newVM := newVM(t, oldProg), newVM(t, newProg)
	cases := syscallCases(t)
	bad := 0
	for _, c := range cases {
		if o, n := runFilter(t, oldVM, c), runFilter(t, newVM, c); o != n {
			t.Errorf("%v: linear filter says %#x, seccompProgram %#x", c, o, n)
			if bad++; bad > 20 {
				t.Fatal("too many differences")
			}
		}
	}
	t.Logf("%d cases; %d instructions, linear %d", len(cases), len(newProg)/8, len(oldProg)/8)
}

// TestSeccompVerdicts pins a few verdicts outright, so that the comparison
// above cannot pass by both programs reading garbage alike.
func TestSeccompVerdicts(t *testing.T) {
	info, err := arch.GetInfo("")
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != arch.X86_64.ID {
		t.Skipf("verdicts below are x86_64's, not %s's", info.Name)
	}
	prog, err := seccompProgram()
	if err != nil {
		t.Fatal(err)
	}
	vm := newVM(t, prog)
	const (
		allow  = uint32(seccomp.ActionAllow)
		eperm  = uint32(seccomp.ActionErrno) | uint32(unix.EPERM)
		enosys = uint32(seccomp.ActionErrno) | uint32(unix.ENOSYS)
	)
	x86 := uint32(info.ID)
	for _, tc := range []struct {
		name string
		c    syscallCase
		want uint32
	}{
		{"read", syscallCase{unix.SYS_READ, x86, 0}, allow},
		{"execve", syscallCase{unix.SYS_EXECVE, x86, 0}, allow},
		{"getcpu", syscallCase{unix.SYS_GETCPU, x86, 0}, allow},
		{"ptrace", syscallCase{unix.SYS_PTRACE, x86, 0}, eperm},
		{"unshare", syscallCase{unix.SYS_UNSHARE, x86, 0}, eperm},
		{"mount", syscallCase{unix.SYS_MOUNT, x86, 0}, eperm},
		{"clone3", syscallCase{unix.SYS_CLONE3, x86, 0}, enosys},
		{"beyond the table", syscallCase{1000, x86, 0}, eperm},
		{"socket AF_INET", syscallCase{unix.SYS_SOCKET, x86, unix.AF_INET}, eperm},
		{"socket AF_INET6", syscallCase{unix.SYS_SOCKET, x86, unix.AF_INET6}, eperm},
		{"socket AF_UNIX", syscallCase{unix.SYS_SOCKET, x86, unix.AF_UNIX}, eperm},
		{"socket AF_PACKET", syscallCase{unix.SYS_SOCKET, x86, unix.AF_PACKET}, eperm},
		{"socket AF_VSOCK", syscallCase{unix.SYS_SOCKET, x86, unix.AF_VSOCK}, eperm},
		{"socketpair AF_UNIX with high bits", syscallCase{unix.SYS_SOCKETPAIR, x86, 1<<32 | unix.AF_UNIX}, eperm},
		{"socketpair AF_UNIX", syscallCase{unix.SYS_SOCKETPAIR, x86, unix.AF_UNIX}, allow},
		{"socketpair AF_INET", syscallCase{unix.SYS_SOCKETPAIR, x86, unix.AF_INET}, eperm},
		{"x32 read", syscallCase{0x40000000 | unix.SYS_READ, x86, 0}, enosys},
		{"nr -1", syscallCase{0xffffffff, x86, 0}, enosys},
		{"i386 read", syscallCase{3, uint32(arch.I386.ID), 0}, eperm},
		{"unknown arch", syscallCase{unix.SYS_READ, 0x12345678, 0}, eperm},
	} {
		if got := runFilter(t, vm, tc.c); got != tc.want {
			t.Errorf("%s (%v): %#x, want %#x", tc.name, tc.c, got, tc.want)
		}
	}
}

// TestSeccompSearchIsShallow: each time a sandbox attaches the filter, the
// kernel runs it for every syscall number to prepare its allow cache, so
// what matters is the longest way through it, which must stay logarithmic
// in the number of syscalls (go-seccomp-bpf's chain is ~240 long).
func TestSeccompSearchIsShallow(t *testing.T) {
	info, err := arch.GetInfo("")
	if err != nil {
		t.Fatal(err)
	}
	depth := func(prog []byte) int {
		insns := decodeFilter(t, prog)
		if ld, ok := insns[0].(bpf.LoadAbsolute); !ok || ld.Off != offArch {
			t.Fatalf("program does not start by loading the arch: %v", insns[0])
		}
		if j, ok := insns[1].(bpf.JumpIf); !ok || j.Val != uint32(info.ID) {
			t.Fatalf("program does not check the arch second: %v", insns[1])
		}
		return longestPaths(insns)[2]
	}
	linear, prog := programs(t)
	d, old := depth(prog), depth(linear)
	t.Logf("longest path after the arch check: %d instructions (linear filter %d)", d, old)
	if d > 16 {
		t.Errorf("a syscall can run %d instructions past the arch check, want at most 16", d)
	}
}

// longestPaths gives, for each instruction of a program that only jumps
// forward, the most instructions a run from there executes, the return
// included.
func longestPaths(insns []bpf.Instruction) []int {
	d := make([]int, len(insns))
	for i := len(insns) - 1; i >= 0; i-- {
		switch in := insns[i].(type) {
		case bpf.RetConstant, bpf.RetA:
			d[i] = 1
		case bpf.Jump:
			d[i] = 1 + d[i+1+int(in.Skip)]
		case bpf.JumpIf:
			d[i] = 1 + max(d[i+1+int(in.SkipTrue)], d[i+1+int(in.SkipFalse)])
		case bpf.JumpIfX:
			d[i] = 1 + max(d[i+1+int(in.SkipTrue)], d[i+1+int(in.SkipFalse)])
		default:
			d[i] = 1 + d[i+1]
		}
	}
	return d
}
