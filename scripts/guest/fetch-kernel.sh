#!/usr/bin/env bash
# Fetch Debian's stock guest kernel (the package that linux-image-<flavour> currently depends on) and extract its
# bzImage.
#
#   [GUEST_FLAVOUR=F] scripts/guest/fetch-kernel.sh [--version-only] [OUT_DIR [CACHE_DIR [FLAVOUR]]]
#
# FLAVOUR (argument, else $GUEST_FLAVOUR, else amd64) picks the meta-package linux-image-FLAVOUR: amd64 (Debian's
# standard kernel), cloud-amd64 or rt-amd64.  OUT_DIR defaults to build/guest for amd64 and build/guest/cloud,
# build/guest/rt for the others; CACHE_DIR to cache.
# Writes OUT_DIR/vmlinuz (the unmodified bzImage), OUT_DIR/kernel-version (e.g. 6.1.0-56-amd64,
# 6.1.0-56-cloud-amd64) and OUT_DIR/config (the kernel's .config, handy when a guest feature is in doubt). The .deb
# stays in CACHE_DIR; a second run downloads nothing. Set GUEST_KERNEL_PKG=linux-image-X.Y.Z-NN-FLAVOUR to pin a
# version instead of following linux-image-FLAVOUR. Only Debian's mirror is used, through apt.
# --version-only writes only OUT_DIR/kernel-version, from apt's lists, and downloads nothing: enough to build modules
# for a flavour whose kernel is not booted (rt, whose package is ~71 MB).
set -euo pipefail

version_only=0
[ "${1:-}" = --version-only ] && { version_only=1; shift; }

flavour=${3:-${GUEST_FLAVOUR:-amd64}}
case $flavour in
  amd64) default_out=build/guest ;;
  *-amd64) default_out=build/guest/${flavour%-amd64} ;;
  *) echo "fetch-kernel: unknown flavour '$flavour' (amd64, cloud-amd64, rt-amd64)" >&2; exit 2 ;;
esac
out=${1:-$default_out} cache=${2:-cache}
mkdir -p "$out" "$cache"

meta=linux-image-$flavour
pkg=${GUEST_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
  resolve() { apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'; }
  pkg=$(resolve || true)
  if [ -z "$pkg" ]; then
    echo "fetch-kernel: apt lists have no $meta; running apt-get update" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    pkg=$(resolve || true)
  fi
  [ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve $meta's kernel package" >&2; exit 1; }
fi
version=${pkg#linux-image-}
[[ $version =~ ^[0-9][0-9.]*-[0-9]+-$flavour$ ]] || { echo "fetch-kernel: $pkg is not a $flavour kernel" >&2; exit 1; }
pkgver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
[ -n "$pkgver" ] || { echo "fetch-kernel: apt knows no package $pkg" >&2; exit 1; }
if [ "$version_only" = 1 ]; then
  [ "$(cat "$out/kernel-version" 2>/dev/null)" = "$version" ] || printf '%s\n' "$version" > "$out/kernel-version"
  touch "$out/kernel-version"
  echo "fetch-kernel: $out/kernel-version = $version ($pkg $pkgver, not downloaded)"
  exit 0
fi

# apt-get download names the file NAME_VERSION_ARCH.deb, with ':' in the version escaped as %3a.
deb="$cache/${pkg}_${pkgver//:/%3a}_amd64.deb"
if [ -s "$deb" ]; then
  echo "fetch-kernel: $pkg $pkgver already in $cache"
else
  size=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Size:" { printf "%.0f MB", $2 / 1e6; exit }')
  echo "fetch-kernel: downloading $pkg $pkgver (${size:-size unknown}) into $cache"
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
