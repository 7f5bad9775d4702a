#!/usr/bin/env bash
# Boot an ISO in Bochs (VT-x with EPT) and show the serial console live.  Ctrl-C stops Bochs.
#
#   scripts/run-bochs.sh [ISO] [MEGS] [CPU_MODEL] [DISK]   (defaults: build/ballast.iso, 2048, corei7_skylake_x)
#
# DISK is a raw image attached as a hard disk; ballast swaps to it if it carries a swap signature
# (scripts/mkswap.sh DISK --size 1G makes one).
# Bochs never exits when the hypervisor halts: the console stays open until you press Ctrl-C, or until the
# RUN_SECONDS environment variable (if set) runs out.  The rfb display listens on localhost:5900 (VNC viewer).
set -euo pipefail
iso=${1:-build/ballast.iso} megs=${2:-2048} model=${3:-corei7_skylake_x} disk=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/ballast-bochs.XXXXXX)
: > "$dir/serial.log"
"$here/bochsrc.sh" "$iso" "$dir/serial.log" "$dir/bochs.log" "$megs" "$model" "$disk" > "$dir/bochsrc"
printf 'c\n' > "$dir/cmds"
bochs -q -f "$dir/bochsrc" -rc "$dir/cmds" < /dev/null > "$dir/bochs.stdout" 2>&1 &
pid=$!
# Bochs locks a disk image with IMAGE.lock and removes it only when it exits by itself, which it does not on Ctrl-C.
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; [ -z "$disk" ] || rm -f "$disk.lock"; echo; echo "(Bochs stopped; logs in $dir)"' EXIT
echo "(Bochs pid $pid; serial log $dir/serial.log; Ctrl-C to stop)"
tail -n +1 -f --pid=$pid "$dir/serial.log" | tr -d '\r' &
if [ -n "${RUN_SECONDS:-}" ]; then sleep "$RUN_SECONDS"; else wait $pid; fi
