# Benchmarks of the memory-manager core (issue 5): figures printed, nothing asserted.  Optimised host build.
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

$(BUILD)/bench/%: $(BUILD)/host/bench/%.o $(HOST_LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(HOST_CFLAGS) $< $(HOST_LIB) -o $@

bench-mm: $(BENCH_BINS)
	@for b in $(BENCH_BINS); do $$b || exit 1; done

.PHONY: bench-mm
