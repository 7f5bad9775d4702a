#!/usr/bin/env bash
# Overcommit with real guests (SPEC §4, the memory-coordinator scenarios): four Debian guests (the cloud flavour,
# which boots fastest) of 512 MiB max each on a Bochs machine of 1 GiB, equal shares, the balloon and free page
# reporting on, guest swap on zram.  The guests' workloads play three phases (tests/boot/coordinator.conf): one VM
# consumes while three idle, then frees; all consume past the machine's size, then free; all consume, then two free
# while two keep consuming.  The runner checks the guests' own lines (no OOM kill, every workload verified, no
# hang); tests/boot/coordinator-check.py checks the moves in the memstat lines and prints their sizes and times;
# memstat-check.py checks that every report adds up.
set -u
cd "$(dirname "$0")/../.." || exit 2
log=${COORDINATOR_LOG:-build/logs/coordinator.log}
args=(--emulator bochs --megs 1024 --iso build/coordinator.iso --log "$log" --timeout 2400)
for vm in vm1 vm2 vm3 vm4; do
  args+=(--expect "\\[$vm\\] balloon: loaded " --expect "\\[$vm\\] zram: swap "
         --expect "\\[$vm\\] BALLAST-GUEST-DONE rc=0" --expect "vm $vm: stopped: halted with interrupts disabled")
done
args+=(--expect-count 'mm: audit passed after vm[1-4] stopped' 4
  --reject 'EXCEPTION|PANIC|unhandled VM exit|audit FAILED|BALLAST-GUEST-DONE rc=[1-9]'
  --reject 'memtouch: (FAILED|cannot allocate)|Out of memory|oom-kill|invoked oom-killer|soft lockup|hung_task|blocked for more than'
  --reject '\[vm[1-4]\] .*(Kernel panic|Oops|BUG:)|balloon distrusted'
  --done '\[ballast\] halted: all guests stopped')
scripts/boot-test.sh "${args[@]}" || exit 1
tests/boot/memstat-check.py "$log" 100 || exit 1
tests/boot/coordinator-check.py "$log"
