#!/usr/bin/env bash
# Builds the container runtime's test image from the host's own files (no
# registry is reachable from the test machines): the installed Debian
# packages Python 3 and a shell need, a non-root user, imported with
# `podman import`. Cached: the tag is a hash of the package versions, and an
# existing image with that tag is reused. Prints the image reference.
#   scripts/container-test-image.sh [podman binary]
set -euo pipefail
podman=${1:-podman}
pkgs=(libc6 libgcc-s1 gcc-12-base coreutils dash libacl1 libattr1 libselinux1
	libpcre2-8-0 libgmp10 libssl3 libcrypt1 python3.11-minimal libpython3.11-minimal
	libpython3.11-stdlib libexpat1 zlib1g libbz2-1.0 liblzma5 libffi8 libsqlite3-0
	libncursesw6 libtinfo6 libreadline8 libuuid1 libnsl2 libtirpc3 libtirpc-common
	libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2
	libzstd1 libmd0 libgdbm6 libdb5.3 media-types)
versions=$(dpkg-query -W -f='${Package}=${Version}\n' "${pkgs[@]}")
tag=$(printf '%s\nv3\n' "$versions" | sha256sum | cut -c1-12)
ref=localhost/runblock-test-python:$tag
if "$podman" image exists "$ref"; then
	echo "$ref"
	exit 0
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
list=$stage/files
# Debian lists files under /bin and /lib; on a merged-/usr host they live
# under /usr, which is where the image keeps them (with the same symlinks).
for p in "${pkgs[@]}"; do dpkg -L "$p"; done | while read -r f; do
	[ -f "$f" ] || [ -L "$f" ] || continue
	d=$(readlink -f "$(dirname "$f")")
	printf '%s\n' "${d#/}/$(basename "$f")"
done | sort -u >"$list"
root=$stage/root
mkdir -p "$root"/{etc,tmp,proc,dev,sys,home/runner,usr/bin}
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s usr/sbin "$root/sbin"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nrunner:x:10001:10001:runner:/home/runner:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nrunner:x:10001:\nnogroup:x:65534:\n' >"$root/etc/group"
chown 10001:10001 "$root/home/runner"
tar -C / -cf - --files-from "$list" | tar -C "$root" -xf -
ln -sf python3.11 "$root/usr/bin/python3"
tar -C "$root" -cf "$stage/image.tar" .
"$podman" import --change 'USER 10001:10001' --change 'WORKDIR /box' \
	--change 'CMD ["/usr/bin/python3"]' "$stage/image.tar" "$ref" >/dev/null
echo "$ref"
