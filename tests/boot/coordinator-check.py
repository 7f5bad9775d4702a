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
                f = dict(max=int(m.group(3)), alloc=int(m.group(6)), active=int(m.group(7)), shared=int(m.group(8)),
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
    """Phase A: vm1 consumes 300 MiB (active) while vm2-vm4 sleep on 120 MiB each; then vm1 frees."""
    start = log.event("vm1", r"until: .*\(wanted 60\)")
    held = log.event("vm1", r"memtouch: held 300 MiB for", start)
    freed = log.event("vm1", r"memtouch: alloc=0 MiB after 'target 0'", held)
    base = log.at("vm1", start)
    demand = base + 300
    peak = log.peak("vm1", start, held)
    reach = log.first_time("vm1", start, held, lambda a: a >= 0.9 * demand)
    idle0 = sum(log.at(v, start, "balloon") for v in VMS[1:])
    idle_peak = sum(log.peak(v, start, freed, "balloon") for v in VMS[1:])
    print(f"coordinator-check: scenario 1: vm1 {base} -> {peak} MiB (demand {demand}); idle balloons {idle0} -> "
          f"{idle_peak} MiB; machine free {log.free_at(start)} MiB at the start, total {log.total} MiB")
    need(peak >= 0.9 * demand, f"scenario 1: vm1's allocation rose to >= 90% of its demand ({peak} of {demand} MiB)"
         + (f" in {took(start, reach)}" if reach else ""))
    need(idle_peak - idle0 >= 100, f"scenario 1: the idle VMs' balloons grew by {idle_peak - idle0} MiB (>= 100)")
    vm1_balloon = log.at("vm1", held, "balloon")
    idle_balloon = min(log.at(v, held, "balloon") for v in VMS[1:])
    need(vm1_balloon < idle_balloon, f"scenario 1: the consumer was ballooned less than the sleepers "
         f"(vm1 {vm1_balloon} MiB, idle VMs at least {idle_balloon} MiB)")
    idle_alloc0 = sum(log.at(v, held) for v in VMS[1:])
    print(f"coordinator-check: scenario 1: the idle VMs hold {sum(log.at(v, start) + 120 for v in VMS[1:])} MiB "
          f"at most; {idle_alloc0} MiB when vm1 holds its memory")
    act1 = log.at("vm1", held, "active")
    act_idle = max(log.at(v, held, "active") for v in VMS[1:])
    need(act1 >= act_idle + 20, f"scenario 1: the consumer looks more active than the sleepers "
         f"(vm1 {act1}%, idle VMs at most {act_idle}%)")
    # Returned: at least half of what it gained, within 60 s of the free (free page reporting hands back free blocks
    # of 2 MiB and more; what the guest's own swap and allocator leave fragmented stays backed until reused).
    half = peak - (peak - base) / 2
    back = log.first_time("vm1", held, freed + 60, lambda a: a <= half)
    need(back is not None, f"scenario 1: vm1's memory returned to the machine after it freed: {peak} -> "
         f"{log.at('vm1', freed + 60)} MiB 60 s after (base {base}, at most {half:.0f} needed)"
         + (f", down to {half:.0f} MiB in {took(held, back)}" if back else ""))


def scenario23(log):
    """Phase B: all consume 200 MiB past the machine's size and hold; then vm1 and vm2 free while vm3 and vm4 consume
    130 MiB more (scenario 3); then vm3 and vm4 free too, and all the memory returns (scenario 2)."""
    start = max(log.event(v, r"until: .*\(wanted 280\)") for v in VMS)
    base = {v: log.at(v, start) for v in VMS}
    want = sum(base[v] + 200 for v in VMS)
    need(want > log.total, f"scenario 2: the guests want more than the machine ({want} MiB of {log.total})")
    full = max(log.event(v, r"memtouch: alloc=200 MiB after 'target 200'", start) for v in VMS)
    hold_end = min(log.event(v, r"after 'sleep 20000'", start) for v in VMS)
    t_eq = min(full + 6, hold_end)
    allocs = {v: log.at(v, t_eq) for v in VMS}
    spread = (max(allocs.values()) - min(allocs.values())) / max(allocs.values())
    print(f"coordinator-check: scenario 2: allocations once all hold 200 MiB: "
          + " ".join(f"{v}={allocs[v]}" for v in VMS) + f" MiB (spread {spread:.0%}), "
          f"balloons " + " ".join(f"{v}={log.at(v, t_eq, 'balloon')}" for v in VMS) + " MiB")
    need(spread <= 0.15, f"scenario 2: all end with allocations within 15% of one another ({spread:.0%})")

    a_free = max(log.event(v, r"after 'sleep 20000'", start) for v in ("vm1", "vm2"))
    a_done = max(log.event(v, r"alloc=0 MiB after 'target 0'", a_free) for v in ("vm1", "vm2"))
    b_done = max(log.event(v, r"alloc=330 MiB after 'target 330'", start) for v in ("vm3", "vm4"))
    end = max(a_done, b_done) + 10
    a0 = sum(log.at(v, a_free) for v in ("vm1", "vm2"))
    a1 = min(sum(log.at(v, t) for v in ("vm1", "vm2")) for t in (end, end - 4, end - 8))
    b0 = sum(log.at(v, a_free) for v in ("vm3", "vm4"))
    b1 = sum(log.peak(v, a_free, end) for v in ("vm3", "vm4"))
    print(f"coordinator-check: scenario 3: vm1+vm2 {a0} -> {a1} MiB, vm3+vm4 {b0} -> {b1} MiB "
          f"from {a_free:.0f} s to {end:.0f} s ({took(a_free, end)})")
    # What they can give back is what they held above their base (much of the 200 MiB each freed sat in zram).
    room = a0 - base["vm1"] - base["vm2"]
    need(a0 - a1 >= max(40, room / 3), f"scenario 3: memory left vm1 and vm2 ({a0 - a1} MiB of the {room} MiB "
         f"they held above their base; >= a third of it and >= 40)")
    need(b1 - b0 >= 100, f"scenario 3: memory reached vm3 and vm4 ({b1 - b0} MiB, >= 100)")

    last = max(log.event(v, r"alloc=0 MiB after 'target 0'", hold_end) for v in VMS)
    for v in VMS:
        peak = log.peak(v, start, last)
        half = peak - (peak - base[v]) / 2
        own = log.event(v, r"alloc=0 MiB after 'target 0'", hold_end)
        t_peak = log.first_time(v, start, last, lambda a, p=peak: a >= p)
        t = log.first_time(v, t_peak, last + 60, lambda a, h=half: a <= h)
        need(t is not None, f"scenario 2: {v}'s memory returned after it freed: {peak} -> {log.at(v, last + 60)} "
             f"MiB 60 s after the last free (base {base[v]})"
             + (f", down to {half:.0f} MiB {max(t - own, 0):.0f} s after its own free" if t else ""))
    print(f"coordinator-check: scenario 2: machine free {log.free_at(t_eq)} MiB while all held -> "
          f"{log.free_at(last + 60)} MiB 60 s after the last free")


def main(path):
    log = Log(path)
    for sc in (scenario1, scenario23):
        try:
            sc(log)
        except LookupError as e:
            need(False, f"{sc.__name__}: {e}")
    print(f"coordinator-check: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
