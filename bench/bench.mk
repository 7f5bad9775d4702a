# Benchmarks of the memory-manager core (issue 5): figures printed, nothing asserted.  Optimised host build.
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

$(BUILD)/bench/%: $(BUILD)/host/bench/%.o $(HOST_LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(HOST_CFLAGS) $< $(HOST_LIB) -o $@

bench-mm: $(BENCH_BINS)
	@for b in $(BENCH_BINS); do $$b || exit 1; done

# Boot benchmark (bench/boot-linux.sh): Debian's kernel + initramfs booted directly by GRUB in Bochs vs under
# ballast in Bochs (bzImage, plus the vmlinux fast path); time to userspace, ratio against the 1.15 goal, VM exits by
# reason.  Minutes; figures also in build/bench/boot-linux.txt.  BENCH_BOOT_ARGS passes options (e.g. --rounds 2).
BENCH_BOOT_ARGS ?=
bench-boot: $(BUILD)/ballast.elf $(GUEST_VMLINUZ) $(GUEST_VMLINUX) $(GUEST_INITRAMFS)
	bench/boot-linux.sh $(BENCH_BOOT_ARGS)

# Balloon benchmark (bench/balloon.sh): inflate/deflate rates of the guest driver against ballast, and the overhead
# of a VM ballooned down to X MiB against one booted with X MiB (the paper's Fig. 2), two Bochs runs, ~5.5 min.
# Figures also in build/bench/balloon.txt.  BENCH_BALLOON_ARGS passes options (e.g. --side-by-side).
BENCH_BALLOON_ARGS ?=
bench-balloon: $(BUILD)/ballast.elf $(GUEST_VMLINUX) $(GUEST_INITRAMFS)
	bench/balloon.sh $(BENCH_BALLOON_ARGS)

.PHONY: bench-mm bench-boot bench-balloon

# Swap benchmark (bench/swap.sh): the disk self-test's raw throughput and the hypervisor's swap rates in one Bochs run.
bench-swap: $(BUILD)/swap.iso $(BUILD)/host/ballast-mkswap
	bench/swap.sh --rounds $(or $(ROUNDS),3)
.PHONY: bench-swap
