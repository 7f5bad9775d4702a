# The memory-manager core (issue 5): pure C, compiled into the hypervisor and into the host library.
MM_CORE_SRCS := mm/tunables.c mm/tunable_table.c mm/mpool.c mm/pmap.c mm/pagehash.c mm/share.c mm/scan.c mm/vmpage.c \
                mm/fault.c mm/balloon.c mm/sample.c mm/policy.c mm/memstate.c mm/swap.c mm/swapper.c mm/pageio.c mm/mm.c \
                mm/memstat.c mm/audit.c
