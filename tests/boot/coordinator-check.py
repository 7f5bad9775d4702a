#!/usr/bin/env python3
"""Check the memory-coordinator scenarios (SPEC §4) in a serial log of tests/boot/coordinator.sh: every move the
scenario forces must show in the memstat lines, in the right direction, big enough, and in bounded time.  Prints one
line per move with its size (MiB) and time (seconds, and sampling periods of SAMPLE_S).

The guests' own lines mark the phases: "until: ... (wanted S)" when a phase starts, memtouch's "holding N MiB",
"held N MiB for" and "freed N MiB" as it consumes, holds and frees.  A memstat line's t is the hypervisor's clock in
ms; a guest line is dated by the last memstat line before it (they come every 2 s)."""
import re
import sys

SAMPLE_S = 5.0  # tests/boot/coordinator.conf: sample_period
VM = re.compile(r"memstat t=(\d+) vm=(\S+) max=(\d+) min=(\d+) shares=(\d+) alloc=(\d+) active=(\d+) shared=(\d+) "
                r"balloon=(\d+) swapped=(\d+) target=(\d+) state=(\w+) gfree=(\S+) gavail=(\S+) reported=(\d+) "
                r"waits=(\d+)")
MACHINE = re.compile(r"memstat t=(\d+) machine total=(\d+) free=(\d+)")
GUEST = re.compile(r"^\[(vm\d)\] (.*)$")
VMS = ["vm1", "vm2", "vm3", "vm4"]


class Log:
    def __init__(self, path):
        self.series = {v: [] for v in VMS}  # vm -> [(t_s, fields)]
        self.free = []                       # [(t_s, free MiB)]
        self.total = 0
        self.events = []                     # [(t_s, vm, text)]
        t = 0.0
        for raw in open(path, encoding="utf-8", errors="replace"):
            line = raw.rstrip("\n")
            m = VM.search(line)
            if m:
                t = int(m.group(1)) / 1000
                f = dict(alloc=int(m.group(6)), active=int(m.group(7)), shared=int(m.group(8)),
                         balloon=int(m.group(9)), target=int(m.group(11)), state=m.group(12))
                if m.group(2) in self.series:
                    self.series[m.group(2)].append((t, f))
                continue
            m = MACHINE.search(line)
            if m:
                t = int(m.group(1)) / 1000
                self.total = int(m.group(2))
                self.free.append((t, int(m.group(3))))
                continue
            m = GUEST.match(line)
            if m:
                self.events.append((t, m.group(1), m.group(2)))

    def event(self, vm, pattern, after=0.0):
        """Time of the first line of vm matching pattern at or after `after`."""
        rx = re.compile(pattern)
        for t, v, text in self.events:
            if v == vm and t >= after and rx.search(text):
                return t
        raise LookupError(f"{vm}: no line matching '{pattern}' after t={after:.0f} s")

    def at(self, vm, t, key="alloc"):
        """vm's field at the last report at or before t."""
        best = None
        for ts, f in self.series[vm]:
            if ts > t:
                break
            best = f[key]
        if best is None:
            raise LookupError(f"{vm}: no memstat line before t={t:.0f} s")
        return best

    def peak(self, vm, t0, t1, key="alloc"):
        return max(f[key] for ts, f in self.series[vm] if t0 <= ts <= t1)

    def first_time(self, vm, t0, t1, pred, key="alloc"):
        """First report time in [t0, t1] whose field satisfies pred, or None."""
        for ts, f in self.series[vm]:
            if t0 <= ts <= t1 and pred(f[key]):
                return ts
        return None

    def free_at(self, t):
        best = 0
        for ts, fr in self.free:
            if ts > t:
                break
            best = fr
        return best


problems = []


def need(ok, what):
    print(("coordinator-check: ok   " if ok else "coordinator-check: FAIL ") + what)
    if not ok:
        problems.append(what)


def took(t0, t1):
    return f"{t1 - t0:.0f} s = {(t1 - t0) / SAMPLE_S:.1f} sampling periods"


def scenario1(log):
    """vm1 consumes 330 MiB while vm2-vm4 idle on 150 MiB each; then vm1 frees."""
    start = log.event("vm1", r"until: .*\(wanted 100\)")
    held = log.event("vm1", r"memtouch: held 330 MiB for", start)
    freed = log.event("vm1", r"memtouch: freed 330 MiB", held)
    base = log.at("vm1", start)
    demand = base + 330
    peak = log.peak("vm1", start, held)
    reach = log.first_time("vm1", start, held, lambda a: a >= 0.9 * demand)
    idle0 = sum(log.at(v, start, "balloon") for v in VMS[1:])
    idle_peak = sum(log.peak(v, start, freed, "balloon") for v in VMS[1:])
    print(f"coordinator-check: scenario 1: vm1 {base} -> {peak} MiB (demand {demand}); idle balloons {idle0} -> "
          f"{idle_peak} MiB; machine free {log.free_at(start)} MiB at the start, total {log.total} MiB")
    need(peak >= 0.9 * demand, f"scenario 1: vm1's allocation rose to >= 90% of its demand ({peak} of {demand} MiB)"
         + (f" in {took(start, reach)}" if reach else ""))
    need(idle_peak - idle0 >= 100, f"scenario 1: the idle VMs' balloons grew by {idle_peak - idle0} MiB (>= 100)")
    need(log.at("vm1", held, "balloon") <= 32, f"scenario 1: the consumer was not ballooned "
         f"(vm1 balloon {log.at('vm1', held, 'balloon')} MiB while it held its memory)")
    act1 = log.at("vm1", held, "active")
    act_idle = max(log.at(v, held, "active") for v in VMS[1:])
    need(act1 >= act_idle + 20, f"scenario 1: the consumer looks more active than the sleepers "
         f"(vm1 {act1}%, idle VMs at most {act_idle}%)")
    back = log.first_time("vm1", freed, freed + 60, lambda a: a <= base + 0.25 * 330)
    need(back is not None, f"scenario 1: vm1's memory returned to the machine after it freed "
         f"({log.at('vm1', freed + 60)} MiB 60 s after, base {base})" + (f" in {took(freed, back)}" if back else ""))


def scenario2(log):
    """All four consume 330 MiB past the machine's size, hold, free."""
    start = max(log.event(v, r"until: .*\(wanted 260\)") for v in VMS)
    base = {v: log.at(v, start) for v in VMS}
    need(sum(base[v] + 330 for v in VMS) > log.total, f"scenario 2: the guests want more than the machine "
         f"({sum(base[v] + 330 for v in VMS)} MiB of {log.total})")
    held = min(log.event(v, r"memtouch: held 330 MiB for", start) for v in VMS)
    allocs = {v: log.at(v, held) for v in VMS}
    spread = (max(allocs.values()) - min(allocs.values())) / max(allocs.values())
    print(f"coordinator-check: scenario 2: allocations at the end of the hold: "
          + " ".join(f"{v}={allocs[v]}" for v in VMS) + f" MiB (spread {spread:.0%})")
    need(spread <= 0.15, f"scenario 2: all end with allocations within 15% of one another ({spread:.0%})")
    freed = max(log.event(v, r"memtouch: freed 330 MiB", held) for v in VMS)
    t_back = []
    for v in VMS:
        t = log.first_time(v, held, freed + 60, lambda a, b=base[v]: a <= b + 0.25 * 330)
        t_back.append(t)
        need(t is not None, f"scenario 2: {v}'s memory returned after the free ({log.at(v, freed + 60)} MiB 60 s "
             f"after the last free, base {base[v]})")
    free_after = log.free_at(freed + 60)
    print(f"coordinator-check: scenario 2: machine free {log.free_at(held)} MiB while held -> {free_after} MiB "
          f"60 s after the frees")


def scenario3(log):
    """All consume; vm1, vm2 (250 MiB) free while vm3, vm4 (400 MiB, slower) keep consuming."""
    start = max(log.event(v, r"until: .*\(wanted 430\)") for v in VMS)
    a_held = max(log.event(v, r"memtouch: held 250 MiB for", start) for v in ("vm1", "vm2"))
    a_freed = max(log.event(v, r"memtouch: freed 250 MiB", a_held) for v in ("vm1", "vm2"))
    b_holding = max(log.event(v, r"memtouch: holding 400 MiB", start) for v in ("vm3", "vm4"))
    end = max(a_freed, b_holding) + 20
    a0 = sum(log.at(v, a_held) for v in ("vm1", "vm2"))
    a1 = sum(log.at(v, end) for v in ("vm1", "vm2"))
    b0 = sum(log.at(v, a_held) for v in ("vm3", "vm4"))
    b1 = sum(log.peak(v, a_held, end) for v in ("vm3", "vm4"))
    print(f"coordinator-check: scenario 3: vm1+vm2 {a0} -> {a1} MiB, vm3+vm4 {b0} -> {b1} MiB "
          f"between {a_held:.0f} s and {end:.0f} s ({took(a_held, end)})")
    need(a0 - a1 >= 200, f"scenario 3: memory left vm1 and vm2 ({a0 - a1} MiB, >= 200)")
    need(b1 - b0 >= 150, f"scenario 3: memory reached vm3 and vm4 ({b1 - b0} MiB, >= 150)")


def main(path):
    log = Log(path)
    for sc in (scenario1, scenario2, scenario3):
        try:
            sc(log)
        except LookupError as e:
            need(False, f"{sc.__name__}: {e}")
    print(f"coordinator-check: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
