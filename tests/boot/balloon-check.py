#!/usr/bin/env python3
"""Check the balloon regression's serial log (tests/boot/balloon.sh) in order, from the memstat lines (SPEC §3),
the monitor's lines and the guest's console, and print what was measured.

    balloon-check.py LOG [--vm vm1] [--balloon-mib 128] [--limit-s 15]

The phases, as tests/boot/balloon.conf and balloon.monitor drive them:
  1. "set VM target X": the balloon reaches max - X (within 1 MiB) within --limit-s seconds of the command (memstat
     time), and machine free memory rises by at least 95% of what the balloon grew by;
  2. the workload holding memory verifies it all along (it was holding before phase 1 and still verifying after 3);
  3. "set VM target auto": the balloon deflates to 0 within --limit-s; "set VM max X" (target auto): it refills;
  4. memory pressure: a workload allocates more than is free while the balloon is full; the driver gives pages back
     (its "pressure:" or "oom:" lines), the balloon shrinks, the workload writes and verifies all its memory and no
     OOM kill happens;
  5. unload: the driver and the hypervisor agree on the balloon's size, rmmod gives every page back, and a memstat
     line after it (while the guest still runs) shows balloon=0.
Exit status 0 when every check holds; each failed check is named.
"""
import argparse
import re
import sys

VM = re.compile(r"\[ballast\] memstat t=(\d+) vm=(\S+) max=(\d+) min=\d+ shares=\d+ alloc=(\d+) active=\d+ "
                r"shared=\d+ balloon=(\d+) swapped=\d+ target=(\d+) state=\w+ ")
MACHINE = re.compile(r"\[ballast\] memstat t=(\d+) machine total=\d+ free=(\d+) ")
DRIVER = re.compile(r"ballast-balloon: target=(\d+) size=(\d+) inflated=(\d+) deflated=(\d+) avail=(-?\d+) us=(\d+)")
PRESSURE = re.compile(r"ballast-balloon: (pressure|oom): gave back (\d+) pages")
OOM = re.compile(r"Out of memory|oom-kill|invoked oom-killer|oom_reaper")


class Log:
    def __init__(self, path, vm):
        self.lines = [raw.rstrip("\r\n").replace("\r", "") for raw in open(path, encoding="utf-8", errors="replace")]
        self.vm = vm
        self.stats = []  # (line index, t ms, max, alloc, balloon, target, machine free or None)
        for i, line in enumerate(self.lines):
            m = VM.match(line)
            if m and m.group(2) == vm:
                self.stats.append([i, int(m.group(1)), int(m.group(3)), int(m.group(4)), int(m.group(5)),
                                   int(m.group(6)), None])
                continue
            m = MACHINE.match(line)
            if m and self.stats and self.stats[-1][1] == int(m.group(1)) and self.stats[-1][6] is None:
                self.stats[-1][6] = int(m.group(2))

    def guest(self, pattern, start=0):
        """Index and match of the first guest console line at or after start that matches pattern."""
        rx = re.compile(r"\[%s\] .*?%s" % (re.escape(self.vm), pattern))
        for i in range(start, len(self.lines)):
            m = rx.match(self.lines[i])
            if m:
                return i, m
        return None, None

    def stat_after(self, idx, cond):
        for s in self.stats:
            if s[0] > idx and cond(s):
                return s
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--vm", default="vm1")
    ap.add_argument("--balloon-mib", type=int, default=128)
    ap.add_argument("--limit-s", type=float, default=15)
    a = ap.parse_args()
    log = Log(a.log, a.vm)
    fails = []

    def check(ok, what):
        if not ok:
            fails.append(what)
        return ok

    def report(*args):
        print("balloon-check:", *args)

    if not check(log.stats, f"no memstat lines for {a.vm}"):
        return finish(fails)
    vmax = log.stats[0][2]  # the RAM it booted with (the monitor lowers max later)
    want = a.balloon_mib
    target = vmax - want
    full = lambda s: s[4] >= want - 1

    # 1. Inflate on "set VM target X": the first memstat showing the new target is the monitor's "mem" right after.
    s1 = log.stat_after(-1, lambda s: s[5] == target)
    if not check(s1, f"no memstat with target={target} (set {a.vm} target {target}M)"):
        return finish(fails)
    f1 = log.stat_after(s1[0], full)
    if check(f1, f"balloon never reached {want} MiB after the target was set"):
        dt = (f1[1] - s1[1]) / 1000
        grew = f1[4] - s1[4]
        # Free memory can lag a line behind the balloon figure: take the best of the next two reports.
        after = [s for s in log.stats if s[0] >= f1[0] and s[6] is not None][:3]
        free_after = max(s[6] for s in after) if after else None
        report(f"inflate: target {target} MiB set at t={s1[1]} ms, balloon {s1[4]} -> {f1[4]} MiB at t={f1[1]} ms:"
               f" {dt:.1f} s (limit {a.limit_s:.0f} s, memstat every ~1 s)")
        check(dt <= a.limit_s, f"inflate took {dt:.1f} s, more than {a.limit_s} s")
        if check(s1[6] is not None and free_after is not None, "no machine memstat line around the inflate"):
            rise = free_after - s1[6]
            report(f"machine free {s1[6]} -> {free_after} MiB: +{rise} MiB for a balloon of +{grew} MiB "
                   f"({100 * rise / max(grew, 1):.0f}%, need >= 95%); {a.vm} alloc {s1[3]} -> {f1[3]} MiB")
            check(rise >= 0.95 * grew, f"machine free rose by {rise} MiB, less than 95% of the balloon's {grew} MiB")

    # 2. The holding workload: it started holding before the inflate and verified throughout (checked at 3's end).
    hold_i, hold_m = log.guest(r"memtouch: holding (\d+) MiB \(touching\)")
    check(hold_i is not None and hold_i < s1[0], "the workload was not holding its memory when the balloon inflated")

    # 3. Deflate on "auto" (target back to max), then inflate again when max is lowered to X.
    d_set = log.stat_after(f1[0] if f1 else s1[0], lambda s: s[5] == vmax)
    d_done = log.stat_after(d_set[0], lambda s: s[4] == 0) if d_set else None
    f2 = None
    if check(d_set and d_done, "the balloon did not deflate to 0 after 'target auto'"):
        dt = (d_done[1] - d_set[1]) / 1000
        report(f"deflate: target auto at t={d_set[1]} ms, balloon {d_set[4]} -> 0 MiB at t={d_done[1]} ms: {dt:.1f} s;"
               f" machine free {d_set[6]} -> {d_done[6]} MiB (returned pages are backed again only when touched)")
        check(dt <= a.limit_s, f"deflate took {dt:.1f} s, more than {a.limit_s} s")
        s2 = log.stat_after(d_done[0], lambda s: s[5] == target)
        f2 = log.stat_after(s2[0], full) if s2 else None
        if check(s2 and f2, "the balloon did not inflate again after 'set max'"):
            dt = (f2[1] - s2[1]) / 1000
            report(f"re-inflate: balloon {s2[4]} -> {f2[4]} MiB in {dt:.1f} s (pages the guest had not touched "
                   f"since the deflate: no machine memory to gain, machine free {s2[6]} -> {f2[6]} MiB)")
            check(dt <= a.limit_s, f"re-inflate took {dt:.1f} s, more than {a.limit_s} s")
    held_i, held_m = log.guest(r"memtouch: held (\d+) MiB for (\d+) ms, touched all of it (\d+) times, "
                               r"verified all of it (\d+) times")
    if check(held_i is not None, "the holding workload did not finish its hold"):
        report(f"workload: held {held_m.group(1)} MiB for {int(held_m.group(2)) / 1000:.1f} s across inflate, "
               f"deflate and re-inflate, touched all of it {held_m.group(3)} times, verified all of it "
               f"{held_m.group(4)} times")
        check(f2 is None or held_i > f2[0], "the hold ended before the balloon was full again")
        check(int(held_m.group(3)) >= 10, "the holding workload touched its memory fewer than 10 times")

    # 4. Pressure: the next memtouch allocates more than the guest has free while the balloon is full.
    p_i, p_m = log.guest(r"workload: memtouch (\d+) ", (held_i or 0) + 1)
    if check(p_i is not None, "no pressure workload after the hold"):
        at_start = [s for s in log.stats if s[0] < p_i][-1]
        check(full(at_start), f"the balloon was {at_start[4]} MiB, not full, when the pressure workload started")
        done_i, _ = log.guest(r"memtouch: wrote and verified %s MiB" % p_m.group(1), p_i)
        end_i, end_m = log.guest(r"workload: memtouch exited with status (\d+)", p_i)
        given = []
        for i in range(p_i, end_i or len(log.lines)):
            m = PRESSURE.search(log.lines[i])
            if m and log.lines[i].startswith(f"[{a.vm}]"):
                given.append(int(m.group(2)))
        low = min((s[4] for s in log.stats if p_i < s[0] < (end_i or len(log.lines))), default=at_start[4])
        avail = [m for m in (re.match(r"\[%s\] MemAvailable: +(\d+) kB" % re.escape(a.vm), l)
                             for l in log.lines[(held_i or 0):p_i]) if m]
        if check(avail, "no MemAvailable line before the pressure workload"):
            avail_mib = int(avail[-1].group(1)) // 1024
            report(f"pressure: guest MemAvailable {avail_mib} MiB beside a {at_start[4]} MiB balloon; memtouch "
                   f"allocates {p_m.group(1)} MiB")
            check(int(p_m.group(1)) > avail_mib, "the pressure workload fits in what the guest has free")
        report(f"pressure: the driver gave back {sum(given)} pages ({sum(given) * 4 // 1024} MiB) in {len(given)} "
               f"steps, the hypervisor's balloon went down to {low} MiB; no OOM kill")
        check(given, "the driver gave nothing back under memory pressure")
        check(low < at_start[4], "the hypervisor's balloon count did not fall under memory pressure")
        check(done_i is not None, "the pressure workload did not write and verify its memory")
        check(end_m is not None and end_m.group(1) == "0", "the pressure workload did not exit with status 0")
    oom = [l for l in log.lines if OOM.search(l)]
    check(not oom, f"OOM killer lines: {oom[:2]}")

    # 5. Unload.
    u0_i, u0 = log.guest(r"balloon: before unload size=(\d+) hv_size=(\d+) .* refused=(\d+) failures=(\d+)")
    u1_i, u1 = log.guest(r"ballast-balloon: unloaded: gave back (\d+) pages")
    u2_i, _ = log.guest(r"balloon: unloaded$")
    done_i, _ = log.guest(r"BALLAST-GUEST-DONE rc=0")
    if check(u0_i is not None and u1_i is not None and u2_i is not None, "no unload lines from the guest"):
        size, hv = int(u0.group(1)), int(u0.group(2))
        before = [s for s in log.stats if s[0] < u0_i]
        hv_mib = before[-1][4] if before else -1
        check(size > 0, "the balloon was empty at unload: nothing to give back")
        check(size == hv, f"driver and hypervisor disagree before unload: size={size} hv_size={hv} pages")
        check(abs(hv_mib - size // 256) <= 1, f"memstat balloon {hv_mib} MiB vs the driver's {size} pages")
        check(int(u1.group(1)) == size, f"unload gave back {u1.group(1)} of {size} pages")
        check(u0.group(3) == "0" and u0.group(4) == "0",
              f"the driver saw {u0.group(3)} refused entries and {u0.group(4)} failed hypercalls")
        zero = log.stat_after(u2_i, lambda s: True)
        ok = zero is not None and zero[4] == 0 and (done_i is None or zero[0] < done_i)
        report(f"unload: {size} pages ({size // 256} MiB) held by both sides, rmmod gave back {u1.group(1)} pages; "
               f"next memstat: balloon={zero[4] if zero else '?'} MiB"
               f"{' (guest still running)' if ok else ''}")
        check(ok, "no memstat line with balloon=0 after the unload while the guest still ran")

    rates = []
    for line in log.lines:
        m = DRIVER.search(line)
        if m and line.startswith(f"[{a.vm}]"):
            up, down, us = int(m.group(3)), int(m.group(4)), int(m.group(6))
            rates.append(f"{'+' if up else '-'}{(up or down) * 4 // 1024} MiB in {us / 1000:.0f} ms "
                         f"({(up or down) * 4 / 1024 / max(us, 1) * 1e6:.0f} MiB/s)")
    if rates:
        report("driver polls that moved the balloon: " + "; ".join(rates))
    return finish(fails)


def finish(fails):
    for f in fails:
        print("balloon-check: FAIL:", f)
    print(f"balloon-check: {'PASS' if not fails else 'FAIL'} ({len(fails)} problems)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
