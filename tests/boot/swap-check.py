#!/usr/bin/env python3
"""Check the swap regression's memstat lines (tests/boot/swap.sh): after the monitor lowers vm1's max to 96 MiB the
hypervisor swaps it down to the max (swapped rising to what the guest holds beyond it), the workload's touches read
pages back (swapins rising) while the VM stays near its max, and once the max is raised again swapped falls as the
touched pages come back and nothing more goes out.  Prints the figures it judged."""
import re
import sys

VM = re.compile(r"memstat t=(\d+) vm=vm1 max=(\d+) .*alloc=(\d+) .*swapped=(\d+) .* swapins=(\d+) swapouts=(\d+)$")


def main(path):
    rows = []
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = VM.search(raw.strip())
        if m:
            rows.append(tuple(map(int, m.groups())))
    low = [r for r in rows if r[1] == 96]
    after = [r for r in rows if r[1] == 256 and low and r[0] > low[-1][0]]
    problems = []
    if len(low) < 5 or len(after) < 3:
        print(f"swap-check: {len(low)} reports with max 96 and {len(after)} after it (need 5 and 3)")
        return 1
    t0 = low[0][0]
    down = next((r for r in low if r[2] <= 96 + 2), None)
    peak = max(r[3] for r in low)
    if not down:
        problems.append(f"alloc never came down to the max of 96 MiB (lowest {min(r[2] for r in low)} MiB)")
    if peak < 40:
        problems.append(f"at most {peak} MiB swapped while the max was 96 MiB (expected >= 40)")
    ins = low[-1][4] - low[0][4]
    outs = low[-1][5] - low[0][5]
    if ins < 2560:
        problems.append(f"only {ins} pages read back from swap while the max was 96 MiB (the workload touches all)")
    held = [r for r in low if down and r[0] >= down[0]]
    worst = max(r[2] for r in held) if held else 0
    if held and worst > 96 + 16:
        problems.append(f"alloc rose to {worst} MiB after it had come down to the max of 96 MiB")
    fall = peak - min(r[3] for r in after)
    if fall < 30:
        problems.append(f"swapped fell by only {fall} MiB after the max went back up (expected >= 30)")
    if after[-1][5] - after[0][5] > 256:
        problems.append(f"{after[-1][5] - after[0][5]} pages swapped out after the max went back up")
    secs = (low[-1][0] - t0) / 1000
    print(f"swap-check: max 96 MiB at t={t0 / 1000:.0f} s; alloc at the max after "
          f"{(down[0] - t0) / 1000 if down else float('nan'):.0f} s; peak {peak} MiB swapped; "
          f"{outs} pages out ({outs / 256 / secs:.1f} MiB/s) and {ins} in ({ins / 256 / secs:.1f} MiB/s) over {secs:.0f} s; "
          f"swapped fell by {fall} MiB after the max went back up")
    for p in problems:
        print("swap-check:", p)
    print("swap-check:", "PASS" if not problems else "FAIL")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
