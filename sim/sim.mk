# The simulator (issue 5): sim/*.c linked with the optimised host library (mm/ core + tests/env fake machine).
SIM_SRCS := sim/sim.c sim/scenario.c sim/guest.c
SIM_SCENARIOS := $(sort $(wildcard sim/scenarios/*.scn))

$(BUILD)/ballast-sim: $(patsubst %.c,$(BUILD)/host/%.o,$(SIM_SRCS)) $(HOST_LIB)
	@echo "  LINK    $@"
	@$(CC) $(HOST_CFLAGS) $(filter %.o,$^) $(HOST_LIB) -lm -o $@

# Run every scenario with mm_audit() at each statistics interval and check its `expect` lines.
sim-test: $(BUILD)/ballast-sim
	@fail=0; for s in $(SIM_SCENARIOS); do \
	  if ! out=$$($(BUILD)/ballast-sim -q -a $$s 2>&1); then printf '%s\n' "$$out"; echo "FAILED: $$s"; fail=1; \
	  else echo "sim: $$s: $$(printf '%s\n' "$$out" | grep -c '^ok') expectations hold"; fi; done; exit $$fail

# CSV and PNG plots of every scenario under build/plots/.
sim-plots: $(BUILD)/ballast-sim
	@mkdir -p $(BUILD)/plots
	@for s in $(SIM_SCENARIOS); do n=$$(basename $$s .scn); \
	  $(BUILD)/ballast-sim -q -c $(BUILD)/plots/$$n.csv $$s >/dev/null; scripts/plot $(BUILD)/plots/$$n.csv; done

TEST_EXTRA += sim-test
.PHONY: sim-test sim-plots
