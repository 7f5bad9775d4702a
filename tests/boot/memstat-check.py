#!/usr/bin/env python3
"""Check the memstat lines of a serial log (SPEC §3): every line parses, and at every report the machine's pages
add up: free + hypervisor + shared frames + each VM's private pages (alloc - shared) = total, within rounding.
Each figure is whole MB rounded down: free, hv and shared frames may each fall short by up to 1 MB, and a VM's
alloc - shared (two rounded figures) may be off by up to 1 MB either way."""
import re
import sys

VM = re.compile(r"memstat t=(\d+) vm=(\S+) max=(\d+) min=(\d+) shares=(\d+) alloc=(\d+) active=(\d+) shared=(\d+) "
                r"balloon=(\d+) swapped=(\d+) target=(\d+) state=(high|soft|hard|low)"
                r" gfree=(\d+|-) gavail=(\d+|-) reported=(\d+) waits=(\d+) swapins=(\d+) swapouts=(\d+)$")
MACHINE = re.compile(r"memstat t=(\d+) machine total=(\d+) free=(\d+) shared=(\d+) hv=(\d+) swap=(\d+)/(\d+) "
                     r"vms=(\d+) state=(high|soft|hard|low)$")


def main(path, min_reports):
    vms, ram, reports, bad = {}, {}, 0, []
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.strip().replace("[ballast] ", "", 1)
        if not line.startswith("memstat "):
            continue
        m = VM.match(line)
        if m:
            t, name = m.group(1), m.group(2)
            alloc, shared = int(m.group(6)), int(m.group(8))
            # max may be lowered live (the balloon then works towards it): alloc is bounded by the RAM it booted with.
            ram[name] = max(ram.get(name, 0), int(m.group(3)))
            if alloc > ram[name]:
                bad.append(f"{line}: alloc above the VM's RAM ({ram[name]} MB)")
            vms.setdefault(t, []).append(alloc - shared)
            continue
        m = MACHINE.match(line)
        if not m:
            bad.append(f"does not parse: {line}")
            continue
        t, total, free, shared, hv, nvms = m.group(1), *map(int, m.group(2, 3, 4, 5, 8))
        private = vms.pop(t, [])
        if len(private) != nvms:
            bad.append(f"t={t}: {len(private)} VM lines for vms={nvms}")
        accounted = free + hv + shared + sum(private)
        if not total - (nvms + 3) <= accounted <= total + nvms + 1:
            bad.append(f"t={t}: free {free} + hv {hv} + shared {shared} + private {sum(private)} = {accounted} MB, "
                       f"machine total {total} MB")
        reports += 1
    for b in bad:
        print("memstat-check:", b)
    print(f"memstat-check: {reports} reports, {len(bad)} problems")
    return 0 if not bad and reports >= min_reports else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1))
