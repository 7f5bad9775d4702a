#!/usr/bin/env bash
# Linux-guest regression: Debian's unmodified kernel boots under ballast in Bochs, reaches its initramfs, reports
# its memory, writes and verifies 128 MiB, and powers off; the hypervisor reports the VM's exits and keeps running.
# Both kernel forms: the uncompressed vmlinux (the fast path) and the bzImage users have (slow: it decompresses
# itself at Bochs speed).
set -u
cd "$(dirname "$0")/../.."
bt=scripts/boot-test.sh
logs=build/logs
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

common=(--expect 'BALLAST-GUEST-READY'
  --expect 'MemTotal: +(19|2[0-5])[0-9]{4} kB'    # 256 MiB minus what the kernel keeps: 190-260 thousand kB
  --expect 'BALLAST-GUEST-DONE rc=0'
  --expect 'vm vm1: stopped: halted with interrupts disabled \(guest shut down\)'
  --expect 'vm vm1: exits EPT violation +[0-9]+' --expect 'vm vm1: exits I/O +[0-9]+'
  --expect 'vm vm1: released [0-9]+ guest pages' --expect 'guests: 1 stopped cleanly'
  --reject 'EXCEPTION|PANIC|Kernel panic|memtouch: FAILED|unhandled VM exit|BALLAST-GUEST-DONE rc=[1-9]'
  --reject 'Marking clocksource .* as unstable'   # timer ticks lost: the guest's clock would fall behind (vdev/pit.c)
  --expect 'vm vm1: timer: [0-9]+ PIT ticks raised, .* 0 dropped'
  --done '\[ballast\] halted: all guests stopped')

check $bt --emulator bochs --megs 1024 --iso build/linux-vmlinux.iso --log $logs/linux-vmlinux.log --timeout 400 \
  "${common[@]}" --expect 'vm vm1: vmlinux \(uncompressed ELF\) kernel' \
  --expect 'memtouch: wrote and verified 128 MiB'

check $bt --emulator bochs --megs 1024 --iso build/linux-bzimage.iso --log $logs/linux-bzimage.log --timeout 900 \
  "${common[@]}" --expect 'vm vm1: bzImage kernel, boot protocol 2\.1[2-9]' \
  --expect 'memtouch: wrote and verified 32 MiB'

echo "linux tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
