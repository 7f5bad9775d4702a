#!/usr/bin/env bash
# Boot an ISO in QEMU with the serial console on this terminal.
#
#   scripts/run-qemu.sh [ISO] [MEGS]      (defaults: build/ballast.iso, 2048)
#
# With /dev/kvm on an Intel host whose KVM allows nested VT-x (/sys/module/kvm_intel/parameters/nested = Y), QEMU
# runs ballast at hardware speed with "-enable-kvm -cpu host,+vmx".  Otherwise it uses TCG, which has no VT-x at
# all: ballast then prints its "no VT-x" line and halts (use scripts/run-bochs.sh to run guests without KVM).
set -euo pipefail
iso=${1:-build/ballast.iso} megs=${2:-2048}
accel=(-accel tcg)
nested=/sys/module/kvm_intel/parameters/nested
if [ -w /dev/kvm ] && [ -r $nested ] && grep -qE '^(Y|1)$' $nested; then
  accel=(-enable-kvm -cpu host,+vmx)
  echo "(QEMU with KVM and nested VT-x)"
else
  echo "(QEMU TCG: no VT-x available to ballast; Ctrl-A X quits)"
fi
exec qemu-system-x86_64 "${accel[@]}" -m "$megs" -cdrom "$iso" -nographic -no-reboot
