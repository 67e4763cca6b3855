#!/usr/bin/env bash
# Installs the Debian packages runblock needs, only those missing.
#   scripts/setup.sh run    what `runblock serve` and building the page need
#   scripts/setup.sh test   that, plus what the tests need (Redis, Postgres,
#                           Chromium for the page's end-to-end tests)
set -euo pipefail
want=(bubblewrap util-linux python3 python3-numpy python3-pandas python3-matplotlib gcc libc6-dev)
# wasm environment: C, C++ and Rust compiled to WebAssembly/WASI (clang 14
# with wasi-libc, compiler-rt and libc++ for wasm32; rustc's wasm32-wasi std).
want+=(clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 rustc libstd-rust-dev-wasm32)
# Languages (issue 14): the built-in languages' toolchains, all Debian's
# (internal/lang/builtin.json names their paths: /usr/lib/go-1.19, not a
# /usr/local Go; /usr/bin/rustc, not ~/.cargo).
want+=(g++ openjdk-17-jdk-headless golang-go rustc node-typescript sqlite3)
if [ "${1:-run}" = test ]; then
	want+=(redis-server redis-tools postgresql postgresql-client)
fi
# Container runtime (issue 16): its tests start Podman's Docker-compatible
# API service with runc (Debian's crun refuses cgroup v1 hybrid hosts), and
# one with gVisor (runsc) as its default runtime.
if [ "${1:-run}" = test ]; then
	want+=(podman runc runsc)
fi
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from elsewhere than Debian (NodeSource's nodejs bundles
# npm; /usr/local installs have no package at all): look for the commands,
# and only install Debian's when there are none, so a newer Node stays.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The end-to-end tests drive Debian's Chromium, never a downloaded build.
if [ "${1:-run}" = test ] && [ ! -x /usr/bin/chromium ]; then
	missing+=(chromium)
fi
# Vite needs Node 20.19 or newer; an older Debian nodejs installs but
# cannot build the page.
check_node() {
	if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||a===20&&b>=19?0:1)'; then
		echo "setup: warning: Node $(node --version) is too old to build the page (needs 20.19+)" >&2
	fi
}
if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all packages present"
	check_node
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing Debian packages: ${missing[*]}" >&2
	echo "setup: run as root, or install them: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: installed ${missing[*]}"
check_node
