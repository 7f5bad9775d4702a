#!/usr/bin/env bash
# Fetch Debian's stock guest kernel (the package that linux-image-amd64 currently depends on) and extract its bzImage.
#
#   scripts/guest/fetch-kernel.sh [OUT_DIR [CACHE_DIR]]      (defaults: build/guest and cache)
#
# Writes OUT_DIR/vmlinuz (the unmodified bzImage), OUT_DIR/kernel-version (e.g. 6.1.0-56-amd64) and
# OUT_DIR/config (the kernel's .config, handy when a guest feature is in doubt). The .deb stays in CACHE_DIR; a
# second run downloads nothing. Set GUEST_KERNEL_PKG=linux-image-X.Y.Z-NN-amd64 to pin a version instead of
# following linux-image-amd64. Only Debian's mirror is used, through apt.
set -euo pipefail

out=${1:-build/guest} cache=${2:-cache}
mkdir -p "$out" "$cache"

pkg=${GUEST_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
  resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'; }
  pkg=$(resolve || true)
  if [ -z "$pkg" ]; then
    echo "fetch-kernel: apt lists have no linux-image-amd64; running apt-get update" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    pkg=$(resolve || true)
  fi
  [ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-amd64's kernel package" >&2; exit 1; }
fi
version=${pkg#linux-image-}
pkgver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
[ -n "$pkgver" ] || { echo "fetch-kernel: apt knows no package $pkg" >&2; exit 1; }

# apt-get download names the file NAME_VERSION_ARCH.deb, with ':' in the version escaped as %3a.
deb="$cache/${pkg}_${pkgver//:/%3a}_amd64.deb"
if [ -s "$deb" ]; then
  echo "fetch-kernel: $pkg $pkgver already in $cache"
else
  echo "fetch-kernel: downloading $pkg $pkgver"
  # apt-get download writes into the current directory; as root it warns that the _apt sandbox cannot write there.
  (cd "$cache" && apt-get download -q "$pkg=$pkgver" 2>&1 | grep -v 'unsandboxed as root' || true)
  [ -s "$deb" ] || { echo "fetch-kernel: download of $pkg failed (expected $deb)" >&2; exit 1; }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/*'
vmlinuz=$(find "$tmp/boot" -name "vmlinuz-*" | head -n1)
[ -n "$vmlinuz" ] || { echo "fetch-kernel: $deb has no /boot/vmlinuz-*" >&2; exit 1; }
[ "$(basename "$vmlinuz")" = "vmlinuz-$version" ] || echo "fetch-kernel: note: package $pkg holds $(basename "$vmlinuz")" >&2

# Replace the outputs only when they change, so make does not rebuild everything downstream for nothing.
install_if_changed() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }
install_if_changed "$vmlinuz" "$out/vmlinuz"
[ -f "$tmp/boot/config-$version" ] && install_if_changed "$tmp/boot/config-$version" "$out/config"
printf '%s\n' "$version" > "$tmp/kernel-version"
install_if_changed "$tmp/kernel-version" "$out/kernel-version"
touch "$out/vmlinuz"   # newer than the script, so make's rule is satisfied even when the content was unchanged
echo "fetch-kernel: $out/vmlinuz = $(basename "$vmlinuz") from $pkg $pkgver ($(stat -c %s "$out/vmlinuz") bytes)"
