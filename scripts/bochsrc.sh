#!/usr/bin/env bash
# Write a Bochs configuration for booting an ISO on a VT-x CPU model with EPT (SPEC §5).
#
#   scripts/bochsrc.sh ISO SERIAL_LOG BOCHS_LOG [MEGS] [CPU_MODEL] [DISK_IMAGE] > bochsrc
#
# DISK_IMAGE (a raw image) becomes the hard disk on ata0-slave, beside the CD-ROM the ISO boots from; ballast writes
# to it only if it carries a swap signature (scripts/mkswap.sh).
# Bochs cannot exceed 2048 MiB of RAM (above it guest RAM is silently corrupted); the display is rfb with no
# timeout because Debian's Bochs has no usable headless display, and it binds TCP 5900 (5901... if taken).
# Bochs reports every EPT violation at "error" level, which slows a Linux guest down: errors are not logged;
# panics still end Bochs with a PANIC line.
set -euo pipefail
iso=$1 serial=$2 log=$3 megs=${4:-512} model=${5:-corei7_skylake_x} disk=${6:-}
if [ "$megs" -gt 2048 ]; then
  echo "bochsrc: $megs MiB is above Bochs's 2048 MiB limit" >&2
  exit 2
fi
disk_line=
[ -z "$disk" ] || disk_line="ata0-slave: type=disk, path=\"$disk\", mode=flat"
cat <<CFG
megs: $megs
cpu: model=$model, count=1, ips=100000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path="$iso", status=inserted
$disk_line
boot: cdrom
com1: enabled=1, mode=file, dev="$serial"
display_library: rfb, options="timeout=0"
clock: sync=none, time0=local
sound: driver=dummy
speaker: enabled=0
mouse: enabled=0
log: "$log"
panic: action=fatal
error: action=ignore
info: action=report
debug: action=ignore
CFG
