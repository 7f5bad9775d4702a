#!/usr/bin/env bash
# Build one of ballast's out-of-tree guest modules against the unpacked Debian headers (fetch-headers.sh).
#
#   scripts/guest/build-module.sh OUT.ko SRC_DIR...      (GUEST_KDIR: the headers, default build/guest/headers/kdir)
#
# kbuild writes its outputs into M=, so the sources (*.c, *.h, Kbuild of each SRC_DIR, in order: a later Kbuild
# wins) are copied to OUT's directory as <name>-src/ and built there; the source tree stays clean.  The ABI header (include/uapi) and the shared guest header (guests/linux/balloon) are
# passed in as BALLAST_INCLUDE.  The module's Kbuild adds -Werror; on top of that any "warning:" in kbuild's own
# output (modpost, objtool) fails the build too.
#
# CONFIG_DEBUG_INFO_BTF_MODULES is switched off for this build: BTF for a module needs the kernel's vmlinux and
# pahole, and a module without BTF loads and works the same (only BPF programs would miss its types).
set -euo pipefail

die() { echo "build-module: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 OUT.ko SRC_DIR..."
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$1 kdir=${GUEST_KDIR:-$root/build/guest/headers/kdir}
shift
name=$(basename "$out" .ko)
[ -f "$kdir/Makefile" ] || die "no kernel headers at $kdir: run scripts/guest/fetch-headers.sh (make guest-headers)"

mkdir -p "$(dirname "$out")"
work=$(cd "$(dirname "$out")" && pwd)/$name-src
rm -rf "$work"
mkdir -p "$work"
for src in "$@"; do
  [ -d "$src" ] || die "no source directory $src"
  find "$src" -maxdepth 1 -type f \( -name '*.[ch]' -o -name Kbuild \) -exec cp -p {} "$work"/ \;
done
[ -f "$work/Kbuild" ] || die "no Kbuild in $*"

log=$work/build.log
# A parallel parent make hands its jobserver down; kbuild then warns that it cannot use it, which the check
# below would take for a build warning.  The module builds alone.
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! make -C "$kdir" M="$work" BALLAST_INCLUDE="$root/include/uapi $root/guests/linux/balloon" \
     CONFIG_DEBUG_INFO_BTF_MODULES= modules > "$log" 2>&1; then
  cat "$log" >&2
  die "kbuild failed for $name"
fi
if grep -qi 'warning' "$log"; then
  cat "$log" >&2
  die "$name built with warnings"
fi
[ -f "$work/$name.ko" ] || die "kbuild made no $name.ko"
# Debian builds with debug info; the initramfs needs none of it (as INSTALL_MOD_STRIP=1 would do).
strip --strip-debug -o "$out" "$work/$name.ko"
echo "build-module: $out ($(stat -c %s "$out") bytes, vermagic $(strings "$out" | sed -n 's/^vermagic=//p'))"
