#!/usr/bin/env bash
# Boot tests: the hypervisor image in Bochs (VT-x with EPT) and in QEMU's TCG (no VT-x), and deliberate failures.
# Each checks the serial console; all run even if one fails, and the summary line counts them.
set -u
cd "$(dirname "$0")/../.."
abi=$(awk '$2 == "BALLAST_ABI_VERSION" { print $3 }' include/uapi/ballast_hypercall.h) # the edge guest's handshake
bt=scripts/boot-test.sh
logs=build/logs
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

# 1. Bochs, VT-x CPU model: banner, memory map, frame totals, decoded capabilities, clean halt.
check $bt --emulator bochs --iso build/ballast.iso --log $logs/boot-bochs.log --timeout 180 \
  --expect 'ballast [0-9.]+: type-1 micro-hypervisor' --expect 'booted by multiboot2' \
  --expect 'memory map \(multiboot2' --expect 'usable' \
  --expect 'memory: total [0-9]+ MiB.* free [0-9]+ MiB \([0-9]+ frames\)' \
  --expect 'vmx: VT-x present' --expect 'vmx: VMCS revision 0x[0-9a-f]+, region 4096 bytes' \
  --expect 'vmx: EPT yes \(4-level, WB' --expect 'vmx: VPID yes' --expect 'unrestricted guest yes, preemption timer yes' \
  --expect 'vmx: all required VT-x features present' \
  --reject 'EXCEPTION|PANIC' --done '\[ballast\] halted: no guests to run yet'

# 2. QEMU TCG from the same ISO: one clear "no VT-x" line and a clean halt.
check $bt --emulator qemu --iso build/ballast.iso --log $logs/boot-qemu-novmx.log --timeout 60 \
  --expect 'vmx: no VT-x: this [A-Za-z]+ CPU does not report VMX' --expect 'memory: total' \
  --reject 'EXCEPTION|PANIC' --done '\[ballast\] halted: no usable VT-x'

# 3. A deliberate page fault (test hook) prints a full exception report, in Bochs from the ISO...
check $bt --emulator bochs --iso build/ballast-fault.iso --log $logs/boot-bochs-fault.log --timeout 180 \
  --expect 'test hook: fault' --expect 'EXCEPTION 14 \(#PF page fault\) error=0x2' \
  --expect 'RIP=[0-9a-f]{16} CS=0008' --expect 'CR2=000000dead000000' \
  --expect '#PF: not-present page at write in supervisor mode' \
  --expect 'RAX=[0-9a-f]{16} RBX=' --expect 'R12=[0-9a-f]{16}' --expect 'call trace: [0-9a-f]+' \
  --expect 'PANIC: unhandled exception 14 in the hypervisor' --done '\[ballast\] halted: panic'

# 4. ...and an invalid opcode through the multiboot1 path (qemu -kernel).
check $bt --emulator qemu --kernel build/ballast.elf --append 'test=ud' --log $logs/boot-qemu-ud.log --timeout 60 \
  --expect 'booted by multiboot1' --expect 'EXCEPTION 6 \(#UD invalid opcode\)' --expect 'RIP=' \
  --done '\[ballast\] halted: panic'

# 5. A CPU without long mode gets a one-line explanation from the 32-bit entry.
check $bt --emulator qemu --kernel build/ballast.elf --qemu-args '-cpu qemu32' --log $logs/boot-qemu-nolm.log \
  --timeout 60 --done 'no 64-bit long mode; ballast needs an x86-64 CPU'

# 6. Tiny test guests under VMX: edge cases a Linux boot does not reach.  The hypervisor must survive each one.
check $bt --emulator bochs --iso build/edge-basic.iso --log $logs/edge-basic.log --timeout 120 \
  --expect 'read of unknown MSR 0x12345678: #GP' --expect '\[vm1\] edge: unknown MSR read raised #GP in the guest' \
  --expect '\[vm1\] edge: CPUID 0x40000000 signature BallastHVBHV' --expect "\\[vm1\\] edge: VMCALL version $abi" \
  --expect 'vm vm1: stopped: halted with interrupts disabled' --expect 'guests: 1 stopped cleanly' \
  --reject 'FAIL|EXCEPTION|PANIC' --done '\[ballast\] halted: all guests stopped'
# A hostile guest: malformed hypercalls each get their documented error; the memory audit passes afterwards.
check $bt --emulator bochs --iso build/edge-hcall.iso --log $logs/edge-hcall.log --timeout 120 \
  --expect-count '\[vm1\] edge: hc [a-z0-9-]* ok' 24 --expect 'mm: audit passed' \
  --expect 'vm vm1: stopped: halted with interrupts disabled' --expect 'guests: 1 stopped cleanly' \
  --reject 'FAIL|EXCEPTION|PANIC' --done '\[ballast\] halted: all guests stopped'
check $bt --emulator bochs --iso build/edge-oob.iso --log $logs/edge-oob.log --timeout 120 \
  --expect 'vm vm1: read at guest-physical 0xc0000000 outside its 64 MiB of RAM' \
  --expect 'vm vm1: stopped: access outside guest memory' --expect 'vm vm1: released [0-9]+ guest pages' \
  --reject 'FAIL|EXCEPTION|PANIC' --done '\[ballast\] halted: all guests stopped'
check $bt --emulator bochs --iso build/edge-triple.iso --log $logs/edge-triple.log --timeout 120 \
  --expect 'vm vm1: triple fault: exit reason 2' --expect 'vm vm1: RIP=[0-9a-f]{16}' \
  --expect 'vm vm1: stopped: triple fault' --expect 'vm vm1: released [0-9]+ guest pages' \
  --reject 'FAIL|EXCEPTION|PANIC' --done '\[ballast\] halted: all guests stopped'
check $bt --emulator bochs --iso build/edge-badio.iso --log $logs/edge-badio.log --timeout 120 \
  --expect 'vm vm1: string I/O \(INS/OUTS\) is not supported' --expect 'vm vm1: stopped: string I/O' \
  --reject 'FAIL|EXCEPTION|PANIC' --done '\[ballast\] halted: all guests stopped'

echo "boot tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
