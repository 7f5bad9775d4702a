#!/usr/bin/env bash
# Many-VM regression: ballast runs four Debian guests of 256 MiB max each on a Bochs machine of 768 MiB (less than
# 4 x 256 MiB plus the hypervisor), from the VM configuration module.  Three reach userspace, run memtouch and power
# off; vm4 crashes its kernel on purpose and resets by triple fault: ballast stops it, returns its memory (audited)
# and the other three go on.  vm2 first loads a module that sends malformed hypercalls, each of which must get its
# error code.  The monitor script exercises the monitor; the memstat lines must add up.
set -u
cd "$(dirname "$0")/../.."
log=build/logs/four-vms.log
args=(--emulator bochs --megs 768 --iso build/four-vms.iso --log "$log" --timeout 900)
for vm in vm1 vm2 vm3; do
  args+=(--expect "\\[$vm\\] BALLAST-GUEST-READY" --expect "\\[$vm\\] memtouch: wrote and verified 32 MiB"
         --expect "\\[$vm\\] BALLAST-GUEST-DONE rc=0" --expect "vm $vm: stopped: halted with interrupts disabled")
done
args+=(--expect '\[vm4\] BALLAST-GUEST-READY' --expect '\[vm4\] crash: crashing the kernel on purpose'
  --expect 'vm vm4: stopped: triple fault' --expect 'mm: audit passed after vm4 stopped'
  --expect-count 'mm: audit passed after vm[1-4] stopped' 4
  --expect 'guests: 4 of 7 configured VMs started' --expect 'guests: 3 stopped cleanly'
  --expect 'config: line [0-9]+: .*nosuchkernel' --expect 'config: line [0-9]+: min \(256M\) > max \(128M\)'
  --expect 'vm bad: not started: its configuration has errors' --expect 'vm nokernel: not started' --expect 'mm: vm huge refused: min .* exceeds'
  --expect 'vm huge: not started: ENOSPC'
  --expect 'monitor: vm1 +running' --expect 'monitor: set vm3 shares 3000: done' --expect 'monitor: no VM named vm9'
  --expect 'monitor: set vm1 min 4096M: EINVAL'
  --expect 'monitor: set vm2 max 512M: ERANGE' --expect 'monitor: set vm3 max 16M: EINVAL'
  --expect '\[vm2\] BALLAST-HCTEST-DONE pass=[1-9][0-9]* fail=0'
  --expect 'memstat t=[0-9]+ vm=vm3 max=256 min=32 shares=3000 '
  --reject 'EXCEPTION|PANIC|memtouch: FAILED|unhandled VM exit|BALLAST-GUEST-DONE rc=[1-9]|audit FAILED'
  --reject '\[vm[123]\] .*(Kernel panic|Oops)'
  --reject 'ballast-hctest: .*FAIL'
  --done '\[ballast\] halted: all guests stopped')
scripts/boot-test.sh "${args[@]}" || exit 1
tests/boot/memstat-check.py "$log" 5
