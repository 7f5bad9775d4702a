#!/usr/bin/env bash
# Fetch Debian's kbuild headers for the guest kernel and unpack them where a module build can use them, without
# installing anything (no root needed once apt's lists are there).
#
#   [GUEST_FLAVOUR=F] scripts/guest/fetch-headers.sh [OUT_DIR [CACHE_DIR [FLAVOUR]]]
#
# OUT_DIR is the flavour's directory of fetch-kernel.sh (default build/guest for amd64, build/guest/cloud for
# cloud-amd64, build/guest/rt for rt-amd64; FLAVOUR only picks that default), CACHE_DIR defaults to cache.
# Reads OUT_DIR/kernel-version (written by fetch-kernel.sh, e.g. 6.1.0-56-amd64 or 6.1.0-56-cloud-amd64), downloads
# linux-headers-<ver> and the two packages it needs to build modules, linux-headers-<abi>-common (rt:
# linux-headers-<abi>-common-rt) and linux-kbuild-<major.minor>, into CACHE_DIR (apt-get download, once), and unpacks
# them with dpkg -x into OUT_DIR/headers/.  OUT_DIR/headers/kdir then links to the tree to pass as 'make -C'.  The
# third dependency,
# linux-compiler-gcc-12-x86, is only a pointer to gcc-12, which scripts/deps.sh installs.
#
# Fix-ups, because the packages expect to live at /:
#   - usr/src/linux-headers-<ver>/Makefile says 'include /usr/src/linux-headers-<abi>-common/Makefile': made
#     relative to the Makefile itself.
#   - lib/modules/<ver>/{build,source} are absolute symlinks: made relative.
#   - scripts/ and tools/ in both header trees link to ../../lib/linux-kbuild-<x.y>/, already relative, so the
#     kbuild programs (fixdep, modpost, objtool...) are found inside the unpacked tree.
# The result is checked: the tree's UTS_RELEASE must be <ver>.
set -euo pipefail

die() { echo "fetch-headers: $*" >&2; exit 1; }
flavour=${3:-${GUEST_FLAVOUR:-amd64}}
case $flavour in
  amd64) default_out=build/guest ;;
  *-amd64) default_out=build/guest/${flavour%-amd64} ;;
  *) die "unknown flavour '$flavour' (amd64, cloud-amd64, rt-amd64)" ;;
esac
out=${1:-$default_out} cache=${2:-cache}
[ -s "$out/kernel-version" ] || die "no $out/kernel-version: run 'make guest-kernel' first"
version=$(cat "$out/kernel-version")
mkdir -p "$cache"
dest=$out/headers

if [ -f "$dest/.version" ] && [ "$(cat "$dest/.version")" = "$version" ] && [ -f "$dest/kdir/Makefile" ]; then
  echo "fetch-headers: headers for $version already in $dest"
  touch "$dest/.version"   # newer than kernel-version, so make's rule is satisfied
  exit 0
fi

# The headers package's Depends name the rest: linux-headers-<abi>-common[-rt] (= V), linux-kbuild-<x.y> (>= V).
pkg=linux-headers-$version
show() { apt-cache show --no-all-versions "$1" 2>/dev/null; }
info=$(show "$pkg" || true)
if ! grep -q '^Version:' <<<"$info"; then
  echo "fetch-headers: apt lists have no $pkg; running apt-get update" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  info=$(show "$pkg" || true)
fi
pkgver=$(awk '$1 == "Version:" { print $2; exit }' <<<"$info")
[ -n "$pkgver" ] || die "apt knows no package $pkg"
depends=$(awk '/^Depends:/ { sub(/^Depends: */, ""); print; exit }' <<<"$info" | tr ',' '\n' | sed 's/^ *//')
common=$(awk '$1 ~ /^linux-headers-.*-common(-rt)?$/ { print $1; exit }' <<<"$depends")
kbuild=$(awk '$1 ~ /^linux-kbuild-/ { print $1; exit }' <<<"$depends")
if [ -z "$common" ] || [ -z "$kbuild" ]; then
  die "cannot find the -common and kbuild packages in $pkg's Depends: $depends"
fi
compiler=$(awk '$1 ~ /^linux-compiler-gcc-/ { print $1; exit }' <<<"$depends")
if [ -n "$compiler" ]; then
  ccver=${compiler#linux-compiler-gcc-}
  cc=gcc-${ccver%%-*}                       # linux-compiler-gcc-12-x86 -> gcc-12
  command -v "$cc" > /dev/null || die "the kernel's Makefile calls $cc, which is not installed (scripts/deps.sh)"
fi

# All three come from one source package, so they share its version; the kbuild package may have moved on
# (its Depends is only >=), in which case apt's candidate is taken.
if apt-cache madison "$kbuild" | awk -v v="$pkgver" '$3 == v { f = 1 } END { exit !f }'; then
  kbuild_ver=$pkgver
else
  kbuild_ver=$(awk '$1 == "Version:" { print $2; exit }' <<<"$(show "$kbuild" || true)")
fi
[ -n "$kbuild_ver" ] || die "apt knows no package $kbuild"

# apt-get download names the file NAME_VERSION_ARCH.deb, with ':' in the version escaped as %3a.
fetch() {
  local name=$1 ver=$2 deb
  deb=$(find "$cache" -maxdepth 1 -name "${name}_${ver//:/%3a}_*.deb" | head -n1)
  if [ -z "$deb" ]; then
    size=$(apt-cache show "$name=$ver" 2>/dev/null | awk '$1 == "Size:" { printf "%.1f MB", $2 / 1e6; exit }')
    echo "fetch-headers: downloading $name $ver (${size:-size unknown}) into $cache" >&2
    # As root apt warns that its _apt sandbox cannot write into the directory; that is harmless.
    (cd "$cache" && { apt-get download -q "$name=$ver" 2>&1 | grep -v 'unsandboxed as root' >&2 || true; })
    deb=$(find "$cache" -maxdepth 1 -name "${name}_${ver//:/%3a}_*.deb" | head -n1)
    [ -n "$deb" ] || die "download of $name $ver failed"
  fi
  echo "$deb"
}
debs=("$(fetch "$pkg" "$pkgver")" "$(fetch "$common" "$pkgver")" "$(fetch "$kbuild" "$kbuild_ver")")

tmp=$dest.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
for deb in "${debs[@]}"; do dpkg -x "$deb" "$tmp"; done
rm -rf "$tmp/usr/share/doc"

tree=usr/src/linux-headers-$version
[ -f "$tmp/$tree/Makefile" ] || die "$pkg has no /$tree/Makefile"
# 'include /usr/src/X/Makefile' -> relative to the including Makefile's directory.
# shellcheck disable=SC2016 # $(dir ...) is make's, not the shell's
sed -i 's|^include /usr/src/\(.*\)$|include $(dir $(lastword $(MAKEFILE_LIST)))../\1|' "$tmp/$tree/Makefile"
grep -q '^include /' "$tmp/$tree/Makefile" && die "$tree/Makefile still includes an absolute path"
# Absolute symlinks -> relative ones inside the unpacked tree.
find "$tmp" -type l -lname '/*' | while read -r link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$tmp$target")" "$link"
done
# Every link must now resolve inside the tree (a dangling scripts/ link would only fail deep inside kbuild).
dangling=$(find "$tmp" -xtype l)
[ -z "$dangling" ] || die "dangling links after unpacking: $dangling"
ln -s "$tree" "$tmp/kdir"

release=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$tmp/kdir/include/generated/utsrelease.h" 2>/dev/null || true)
[ "$release" = "$version" ] || die "the unpacked headers are for '$release', not $version"
printf '%s\n' "$version" > "$tmp/.version"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "fetch-headers: $dest/kdir = $tree ($pkg $pkgver, $common, $kbuild $kbuild_ver)"
