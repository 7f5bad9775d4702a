#!/usr/bin/env bash
# Build a ballast guest initramfs: Debian's static busybox, guests/initramfs/init as /init, workload programs in
# /bin, and optionally ballast's guest modules.
#
#   scripts/guest/mkinitramfs.sh OUT.cpio.gz [--init FILE] [--balloon KO] [--hctest KO] [--busybox PATH] [PROGRAM...]
#
# PROGRAMs (static executables, e.g. build/guest/workloads/memtouch) go to /bin under their base names; --balloon
# puts KO at /lib/modules/ballast_balloon.ko, which /init loads on ballast.balloon=1; --hctest puts KO at
# /lib/modules/ballast_hctest.ko, which /init loads on ballast.hctest=1.
#
# Needs no root and no fakeroot: files are archived with owner 0:0 (cpio -R 0:0), and /dev/console, the only device
# node the kernel wants before /init runs, is written by hand as a separate newc archive in front (the kernel
# unpacks concatenated archives). The output is reproducible: fixed mtimes (SOURCE_DATE_EPOCH, default 0), sorted
# names, gzip -n.
set -euo pipefail

die() { echo "mkinitramfs: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out='' init=$root/guests/initramfs/init balloon='' hctest='' busybox=/bin/busybox progs=()
while [ $# -gt 0 ]; do
  case $1 in
    --init) init=$2; shift 2 ;;
    --balloon) balloon=$2; shift 2 ;;
    --hctest) hctest=$2; shift 2 ;;
    --busybox) busybox=$2; shift 2 ;;
    -*) die "unknown option $1" ;;
    *) if [ -z "$out" ]; then out=$1; else progs+=("$1"); fi; shift ;;
  esac
done
[ -n "$out" ] || die "usage: $0 OUT.cpio.gz [--init FILE] [--balloon KO] [--hctest KO] [--busybox PATH] [PROGRAM...]"
[ -x "$busybox" ] || die "no $busybox: install Debian's busybox-static"
readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter' &&
  die "$busybox is dynamically linked (Debian's 'busybox' package): install busybox-static instead"
[ -f "$init" ] || die "no init script $init"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,lib/modules,mnt,run}
cp "$busybox" "$stage/bin/busybox"
# One symlink per applet, at the path busybox itself lists (bin/sh, sbin/insmod, usr/bin/tr...).
"$busybox" --list-full | while read -r applet; do
  [ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$init" "$stage/init"
for p in "${progs[@]}"; do
  [ -x "$p" ] || die "workload $p is missing or not executable"
  readelf -l "$p" 2>/dev/null | grep -q 'Requesting program interpreter' && die "$p is not statically linked"
  rm -f "$stage/bin/$(basename "$p")"           # a workload wins over a busybox applet of the same name
  install -m 0755 "$p" "$stage/bin/$(basename "$p")"
done
[ -z "$balloon" ] || install -m 0644 "$balloon" "$stage/lib/modules/ballast_balloon.ko"
[ -z "$hctest" ] || install -m 0644 "$hctest" "$stage/lib/modules/ballast_hctest.ko"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
chmod 1777 "$stage/tmp"

epoch=${SOURCE_DATE_EPOCH:-0}
find "$stage" -exec touch -h -d "@$epoch" {} +

# newc entry for one inode with no data: NAME MODE(octal) RDEV_MAJOR RDEV_MINOR INO.
newc() {
  local name=$1 mode=$2 maj=$3 min=$4 ino=$5 namesize=$(( ${#1} + 1 ))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    "$ino" $((8#$mode)) 0 0 1 "$epoch" 0 0 0 "$maj" "$min" "$namesize" 0
  printf '%s\0' "$name"
  # header (110 bytes) + name, padded to a multiple of 4
  local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
  [ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
}
devs() {
  newc dev 040755 0 0 1
  newc dev/console 020600 5 1 2
  newc dev/null 020666 1 3 3
  newc TRAILER!!! 0 0 0 0
}

mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$
{
  devs
  # cpio -R 0:0 stores root ownership whoever runs this; --reproducible drops inode/device numbers from the host.
  (cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
     cpio -o -H newc -R 0:0 --reproducible --quiet)
} | gzip -n -9 > "$tmp"
mv "$tmp" "$out"
echo "mkinitramfs: $out ($(stat -c %s "$out") bytes; /init from ${init#"$root"/}, busybox $("$busybox" | head -n1 | awk '{print $2}')${progs[*]:+, programs: $(for p in "${progs[@]}"; do basename "$p"; done | paste -sd " " -)}${balloon:+, balloon module}${hctest:+, hctest module})"
