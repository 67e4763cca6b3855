#!/usr/bin/env bash
# Installs the Debian packages runblock needs, only those missing.
#   scripts/setup.sh run    what `runblock serve` needs
#   scripts/setup.sh test   that, plus what the tests need (Redis, Postgres)
set -euo pipefail
want=(bubblewrap util-linux python3 python3-numpy python3-pandas python3-matplotlib gcc libc6-dev)
if [ "${1:-run}" = test ]; then
	want+=(redis-server redis-tools postgresql postgresql-client)
fi
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all packages present"
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
