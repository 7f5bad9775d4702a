#!/usr/bin/env bash
# Build a ballast guest initramfs: Debian's static busybox, guests/initramfs/init as /init, workload programs in
# /bin, and optionally ballast's guest modules.
#
#   scripts/guest/mkinitramfs.sh OUT.cpio.gz [--init FILE] [--balloon KO]... [--hctest KO]... [--flat]
#                                [--busybox PATH] [PROGRAM...]
#
# PROGRAMs (static executables, e.g. build/guest/workloads/memtouch) go to /bin under their base names; --balloon
# puts KO at /lib/modules/<release>/ballast_balloon.ko, which /init loads on ballast.balloon=1; --hctest puts KO at
# /lib/modules/<release>/ballast_hctest.ko, which /init loads on ballast.hctest=1.  <release> is the first word of
# the module's vermagic, the `uname -r` of the kernel it was built for (6.1.0-57-amd64, 6.1.0-57-cloud-amd64):
# both options repeat, one module per Debian kernel flavour, so one initramfs serves each of those kernels (two
# modules of a kind for one release are an error).  --flat puts them at /lib/modules/ballast_{balloon,hctest}.ko
# instead, one of each (the layout guests/linux/balloon/fakehv/init-test reads).
# --kmods DEB:NAME[,NAME...] (repeatable, one per kernel package) copies the kernel modules NAME from the kernel
# package DEB (e.g. cache/linux-image-6.1.0-57-amd64_..._amd64.deb), and every module they depend on (their
# .modinfo "depends=", followed recursively; the .deb has no modules.dep, depmod makes it at install), to
# /lib/modules/<release>/kernel/<their path in the package>.ko, decompressed (busybox insmod reads no .xz), and
# writes /lib/modules/<release>/modules.dep for them (each module's dependencies, the one to load first last, as
# depmod writes it), which /init's module loader reads.  A NAME built into that kernel (modules.builtin) is skipped
# with a note.
#
# Needs no root and no fakeroot: files are archived with owner 0:0 (cpio -R 0:0), and /dev/console, the only device
# node the kernel wants before /init runs, is written by hand as a separate newc archive in front (the kernel
# unpacks concatenated archives). The output is reproducible: fixed mtimes (SOURCE_DATE_EPOCH, default 0), sorted
# names, gzip -n.
set -euo pipefail

die() { echo "mkinitramfs: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kmods=() kt=''
out='' init=$root/guests/initramfs/init busybox=/bin/busybox progs=() balloons=() hctests=() flat=0
while [ $# -gt 0 ]; do
  case $1 in
    --init) init=$2; shift 2 ;;
    --balloon) balloons+=("$2"); shift 2 ;;
    --hctest) hctests+=("$2"); shift 2 ;;
    --flat) flat=1; shift ;;
    --kmods) kmods+=("$2"); shift 2 ;;
    --busybox) busybox=$2; shift 2 ;;
    -*) die "unknown option $1" ;;
    *) if [ -z "$out" ]; then out=$1; else progs+=("$1"); fi; shift ;;
  esac
done
[ -n "$out" ] || die "usage: $0 OUT.cpio.gz [--init FILE] [--balloon KO]... [--hctest KO]... [--flat] [--busybox PATH] [PROGRAM...]"
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
# A module goes to /lib/modules/<release>/NAME, <release> read from its vermagic ("6.1.0-57-amd64 SMP preempt ...").
mods=()
place_module() {
  local ko=$1 name=$2 dir=lib/modules vermagic
  [ -f "$ko" ] || die "no module $ko"
  vermagic=$(strings "$ko" | sed -n 's/^vermagic=//p' | head -n1)
  [ -n "$vermagic" ] || die "$ko has no vermagic: not a kernel module"
  [ "$flat" = 1 ] || dir=lib/modules/${vermagic%% *}
  [ ! -e "$stage/$dir/$name" ] || die "two $name for ${vermagic%% *} (the second is $ko)"
  mkdir -p "$stage/$dir"
  install -m 0644 "$ko" "$stage/$dir/$name"
  mods+=("/$dir/$name")
}
for ko in "${balloons[@]}"; do place_module "$ko" ballast_balloon.ko; done
for ko in "${hctests[@]}"; do place_module "$ko" ballast_hctest.ko; done

# --kmods DEB:NAMES: the package's module tree is unpacked once into a temporary directory (~400 MB, ~4 s), the
# dependency closure is read from each module's .modinfo there, and only the closure is copied.
kmod_info() {   # FILE FIELD: a .modinfo field of an uncompressed module
  objcopy -O binary -j .modinfo "$1" /dev/stdout 2>/dev/null | tr '\0' '\n' | sed -n "s/^$2=//p" | head -n1; true
}
kmods_copy() {
  local deb=${1%%:*} names=${1#*:} rel tree path name dep line
  [ -f "$deb" ] || die "--kmods: no kernel package $deb"
  kt=$(mktemp -d)
  trap 'rm -rf "$stage" "$kt"' EXIT
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kt" --wildcards './lib/modules/*' || die "--kmods: cannot unpack $deb"
  rel=$(ls "$kt/lib/modules")
  tree=$kt/lib/modules/$rel
  if [ -z "$rel" ] || [ ! -d "$tree/kernel" ]; then die "--kmods: $deb has no (single) lib/modules/<release>/kernel"; fi
  # module name ('_' for '-') -> its path under $tree, for every module in the package
  local -A where=() seen=() depsof=()
  while read -r path; do
    name=${path##*/}; name=${name%%.ko*}; where[${name//-/_}]=$path
  done < <(cd "$tree" && find kernel -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
  local todo=() order=()
  for name in ${names//,/ }; do
    name=${name//-/_}
    if [ -z "${where[$name]:-}" ]; then
      if sed 's|.*/||; s|\.ko$||; s|-|_|g' "$tree/modules.builtin" 2>/dev/null | grep -x "$name" > /dev/null; then
        echo "mkinitramfs: $rel: $name is built into the kernel"; continue
      fi
      die "--kmods: $deb has no module $name"
    fi
    todo+=("$name")
  done
  # Depth first: a module joins $order after all its dependencies (so $order is a load order).
  kmod_visit() {
    local n=$1 src dst d
    [ -z "${seen[$n]:-}" ] || return 0
    seen[$n]=1
    src=$tree/${where[$n]} dst=$stage/lib/modules/$rel/${where[$n]%.ko*}.ko
    mkdir -p "$(dirname "$dst")"
    case $src in
      *.xz) xz -dc "$src" > "$dst" ;; *.zst) zstd -qdc "$src" > "$dst" ;; *.gz) gzip -dc "$src" > "$dst" ;;
      *) cp "$src" "$dst" ;;
    esac
    chmod 0644 "$dst"
    [ "$(kmod_info "$dst" vermagic | cut -d' ' -f1)" = "$rel" ] || die "--kmods: $src is not built for $rel"
    depsof[$n]=$(kmod_info "$dst" depends | tr ',' ' ')
    for d in ${depsof[$n]}; do
      d=${d//-/_}
      [ -n "${where[$d]:-}" ] || die "--kmods: ${where[$n]} depends on $d, which $deb does not have"
      kmod_visit "$d"
    done
    order+=("$n")
  }
  for name in "${todo[@]}"; do kmod_visit "$name"; done
  # modules.dep, "kernel/a.ko: kernel/b.ko kernel/c.ko": all of a's dependencies, each after every one that needs
  # it (its last place in a depth-first walk), so loading them right to left works.
  kmod_walk() { local d; for d in ${depsof[$1]}; do d=${d//-/_}; echo "$d"; kmod_walk "$d"; done; }
  for name in "${order[@]}"; do
    line="${where[$name]%.ko*}.ko:"
    for dep in $(kmod_walk "$name" | awk '{ last[$0] = NR } END { for (d in last) print last[d], d }' |
                 sort -n | cut -d' ' -f2); do
      line+=" ${where[$dep]%.ko*}.ko"
    done
    echo "$line"
  done >> "$stage/lib/modules/$rel/modules.dep"
  rm -rf "$kt"
  echo "mkinitramfs: $rel: modules ${order[*]} from ${deb##*/}"
}
for k in "${kmods[@]}"; do kmods_copy "$k"; done
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
echo "mkinitramfs: $out ($(stat -c %s "$out") bytes; /init from ${init#"$root"/}, busybox $("$busybox" | head -n1 | awk '{print $2}')${progs[*]:+, programs: $(for p in "${progs[@]}"; do basename "$p"; done | paste -sd " " -)}${mods[*]:+, modules: ${mods[*]}})"
