# Guest images: Debian's stock kernel, its uncompressed vmlinux, and the busybox initramfs with the workloads.
# Included from the top-level Makefile (-include mk/guest.mk); see guests/linux/README.md.
#
#   make guest              both kernel forms of the standard flavour, the cloud flavour's vmlinux, the initramfs
#   make guest-kernel       build/guest/vmlinuz (Debian's bzImage) and build/guest/vmlinux (its ELF, PVH entry)
#   make guest-initramfs    build/guest/initramfs.cpio.gz
#   make guest-kernel-update  re-resolve linux-image-amd64 (after a Debian kernel update) and refresh the kernel
#   make guest-qemu-test    boot both kernel forms with the initramfs in QEMU TCG (seconds)
#   make guest-direct-test  boot the bzImage directly under GRUB in Bochs and time it (minutes; the benchmark baseline)
#   make guest-headers      build/guest/headers/: Debian's kbuild headers for the guest kernel, unpacked (no root)
#   make guest-balloon      build/guest/ballast_balloon.ko and ballast_hctest.ko (guests/linux/{balloon,hctest}/)
#   make guest-balloon-qemu-test  boot with both modules in QEMU TCG: both must refuse to load ("no ballast
#                           hypervisor") and the guest must still finish; the standard and the cloud kernel, each
#                           with the same initramfs
#   make guest-balloon-fakehv-test  the balloon driver's policy in QEMU against a hypervisor simulated in the guest
#   make guest-zram-qemu-test  swap on zram in QEMU TCG: memload with a working set larger than the guest's RAM must
#                           swap (compressed to ~1/3), verify every page and finish without an OOM kill (~30 s)
#
# Other Debian kernel flavours, each in its own directory with its own headers and modules (build/guest/ itself is
# the standard flavour, linux-image-amd64):
#   make guest-cloud        build/guest/cloud/: linux-image-cloud-amd64's vmlinuz (lz4 bzImage) and vmlinux, its
#                           headers and both modules (guest-cloud-kernel, guest-cloud-headers, guest-cloud-balloon)
#   make guest-rt-balloon   build/guest/rt/: linux-image-rt-amd64's headers and modules.  Not part of the default
#                           build: the rt kernel does not boot on ballast's legacy platform yet (SPEC §5); built
#                           modules are put into the initramfs all the same (the initramfs is remade)
#
# Downloads go to cache/ (kept by 'make clean'); nothing downloaded is committed.
# GUEST_BALLOON_KO, GUEST_HCTEST_KO: the modules put into the initramfs (loaded on ballast.balloon=1 and
# ballast.hctest=1), each at /lib/modules/<its kernel release>/, where /init looks for $(uname -r)'s.  By default
# those of the standard and cloud flavours (and rt's when built), built from guests/linux/ (make guest-balloon,
# guest-cloud-balloon); set them empty to leave out.

BUILD ?= build
# Whatever the including Makefile's default goal is (or will be), these rules must not become it.
guest_saved_default_goal := $(.DEFAULT_GOAL)
GUEST_DIR        := $(BUILD)/guest
GUEST_CACHE      ?= cache
GUEST_VMLINUZ    := $(GUEST_DIR)/vmlinuz
GUEST_VMLINUX    := $(GUEST_DIR)/vmlinux
GUEST_INITRAMFS  := $(GUEST_DIR)/initramfs.cpio.gz
GUEST_HEADERS    := $(GUEST_DIR)/headers
GUEST_BALLOON_MOD := $(GUEST_DIR)/ballast_balloon.ko
GUEST_HCTEST_MOD  := $(GUEST_DIR)/ballast_hctest.ko
GUEST_FAKEHV_MOD  := $(GUEST_DIR)/ballast_balloon_fakehv.ko
GUEST_HCTEST_FAKEHV_MOD := $(GUEST_DIR)/ballast_hctest_fakehv.ko
GUEST_FAKEHV_INITRAMFS := $(GUEST_DIR)/initramfs-fakehv.cpio.gz
# The cloud flavour (linux-image-cloud-amd64): boots to userspace ~3.5x faster than the standard one.
GUEST_CLOUD_DIR         := $(GUEST_DIR)/cloud
GUEST_CLOUD_VMLINUZ     := $(GUEST_CLOUD_DIR)/vmlinuz
GUEST_CLOUD_VMLINUX     := $(GUEST_CLOUD_DIR)/vmlinux
GUEST_CLOUD_HEADERS     := $(GUEST_CLOUD_DIR)/headers
GUEST_CLOUD_BALLOON_MOD := $(GUEST_CLOUD_DIR)/ballast_balloon.ko
GUEST_CLOUD_HCTEST_MOD  := $(GUEST_CLOUD_DIR)/ballast_hctest.ko
# The rt flavour (linux-image-rt-amd64): modules only, on request (it does not boot on the legacy platform yet).
GUEST_RT_DIR            := $(GUEST_DIR)/rt
GUEST_RT_BALLOON_MOD    := $(GUEST_RT_DIR)/ballast_balloon.ko
GUEST_RT_HCTEST_MOD     := $(GUEST_RT_DIR)/ballast_hctest.ko
GUEST_BALLOON_KO ?= $(GUEST_BALLOON_MOD) $(GUEST_CLOUD_BALLOON_MOD) $(wildcard $(GUEST_RT_BALLOON_MOD))
GUEST_HCTEST_KO  ?= $(GUEST_HCTEST_MOD) $(GUEST_CLOUD_HCTEST_MOD) $(wildcard $(GUEST_RT_HCTEST_MOD))
GUEST_CMDLINE    ?= console=ttyS0,115200 acpi=off nolapic pci=off nosmp

GUEST_WORKLOAD_SRCS := $(wildcard guests/workloads/*.c)
GUEST_WORKLOADS     := $(patsubst guests/workloads/%.c,$(GUEST_DIR)/workloads/%,$(GUEST_WORKLOAD_SRCS))
GUEST_WCFLAGS       ?= -static -O2 -Wall -Wextra -Werror
# Kernel modules copied from each flavour's kernel package in $(GUEST_CACHE) into the initramfs, with what they
# depend on (/init loads them on ballast.zram=SIZE); one built into a flavour is skipped.  Empty: none.
GUEST_KMODS         ?= zram,lz4,lzo-rle
# --kmods DEB:$(GUEST_KMODS) for every flavour (build/guest/kernel-version, build/guest/*/kernel-version) whose kernel
# package is in the cache: expanded when the recipe runs, after those files have been made.  Listed by the shell, not
# by make's $(wildcard): make caches a directory's contents when it first reads it, so a flavour's directory made
# later in the same run was missed and the initramfs rebuilt without that flavour's zram (seen on a fresh clone).
guest_kmods_args = $(if $(GUEST_KMODS),$(foreach v,$(shell ls $(GUEST_DIR)/kernel-version $(GUEST_DIR)/*/kernel-version 2>/dev/null),\
  $(foreach d,$(lastword $(shell ls $(GUEST_CACHE)/linux-image-$(shell cat $(v))_*_amd64.deb 2>/dev/null)),--kmods $(d):$(GUEST_KMODS))))

guest: $(GUEST_VMLINUZ) $(GUEST_VMLINUX) $(GUEST_INITRAMFS) $(GUEST_CLOUD_VMLINUX)
guest-kernel: $(GUEST_VMLINUZ) $(GUEST_VMLINUX)
guest-initramfs: $(GUEST_INITRAMFS)

# The .deb is cached, so this rule runs the download once; kernel-version and config come with vmlinuz.
$(GUEST_VMLINUZ): scripts/guest/fetch-kernel.sh
	scripts/guest/fetch-kernel.sh $(GUEST_DIR) $(GUEST_CACHE)
$(GUEST_DIR)/kernel-version: $(GUEST_VMLINUZ)

# vmlinux.txt keeps the setup-header facts, the PVH entry and the load range for the record.
$(GUEST_VMLINUX): $(GUEST_VMLINUZ) scripts/guest/extract-vmlinux.sh
	scripts/guest/extract-vmlinux.sh $< $@ > $(GUEST_DIR)/vmlinux.txt || { cat $(GUEST_DIR)/vmlinux.txt; exit 1; }
	@cat $(GUEST_DIR)/vmlinux.txt

$(GUEST_DIR)/workloads/%: guests/workloads/%.c
	@mkdir -p $(@D)
	@echo "  GUESTCC $<"
	@$(CC) $(GUEST_WCFLAGS) $< -o $@

$(GUEST_INITRAMFS): guests/initramfs/init scripts/guest/mkinitramfs.sh $(GUEST_WORKLOADS) $(GUEST_BALLOON_KO) \
		    $(GUEST_HCTEST_KO)
	scripts/guest/mkinitramfs.sh $@ $(foreach k,$(GUEST_BALLOON_KO),--balloon $(k)) \
	  $(foreach k,$(GUEST_HCTEST_KO),--hctest $(k)) $(guest_kmods_args) $(GUEST_WORKLOADS)
$(GUEST_INITRAMFS): $(GUEST_DIR)/kernel-version $(GUEST_CLOUD_DIR)/kernel-version

# Guest modules: kbuild against Debian's headers for exactly the guest kernel, unpacked under build/ (no root, no
# linux-headers package installed).  The sources are copied to build/guest/<name>-src/ and built there.
$(GUEST_HEADERS)/.version: $(GUEST_DIR)/kernel-version scripts/guest/fetch-headers.sh
	scripts/guest/fetch-headers.sh $(GUEST_DIR) $(GUEST_CACHE)

GUEST_MOD_SRC_DEPS := scripts/guest/build-module.sh include/uapi/ballast_hypercall.h $(wildcard guests/linux/balloon/*.h)
GUEST_MOD_DEPS := $(GUEST_HEADERS)/.version $(GUEST_MOD_SRC_DEPS)
$(GUEST_BALLOON_MOD): $(wildcard guests/linux/balloon/*.c) guests/linux/balloon/Kbuild $(GUEST_MOD_DEPS)
	scripts/guest/build-module.sh $@ guests/linux/balloon
$(GUEST_HCTEST_MOD): $(wildcard guests/linux/hctest/*.c) guests/linux/hctest/Kbuild $(GUEST_MOD_DEPS)
	scripts/guest/build-module.sh $@ guests/linux/hctest
# Test build: the balloon driver linked with a hypervisor simulated in the guest (guests/linux/balloon/fakehv/).
$(GUEST_FAKEHV_MOD): $(wildcard guests/linux/balloon/*.c guests/linux/balloon/fakehv/*.c) \
		     guests/linux/balloon/fakehv/Kbuild $(GUEST_MOD_DEPS)
	scripts/guest/build-module.sh $@ guests/linux/balloon guests/linux/balloon/fakehv
$(GUEST_HCTEST_FAKEHV_MOD): $(wildcard guests/linux/hctest/*.c guests/linux/balloon/fakehv/*.c) \
			    guests/linux/hctest/fakehv/Kbuild $(GUEST_MOD_DEPS)
	scripts/guest/build-module.sh $@ guests/linux/hctest guests/linux/balloon/fakehv guests/linux/hctest/fakehv
$(GUEST_FAKEHV_INITRAMFS): guests/linux/balloon/fakehv/init-test scripts/guest/mkinitramfs.sh $(GUEST_FAKEHV_MOD) \
			   $(GUEST_HCTEST_FAKEHV_MOD) $(GUEST_DIR)/workloads/memtouch
	scripts/guest/mkinitramfs.sh $@ --init guests/linux/balloon/fakehv/init-test --flat --balloon $(GUEST_FAKEHV_MOD) \
	  --hctest $(GUEST_HCTEST_FAKEHV_MOD) $(GUEST_DIR)/workloads/memtouch

guest-headers: $(GUEST_HEADERS)/.version
guest-balloon: $(GUEST_BALLOON_MOD) $(GUEST_HCTEST_MOD)

# Another Debian flavour in $(GUEST_DIR)/$1/: $2 is its linux-image-$2 meta-package (cloud-amd64, rt-amd64).  The
# same scripts as the standard flavour's rules above, each printing what it downloads or builds and its size.
define guest_flavour
$(GUEST_DIR)/$1/vmlinuz: scripts/guest/fetch-kernel.sh
	scripts/guest/fetch-kernel.sh $(GUEST_DIR)/$1 $(GUEST_CACHE) $2
$(GUEST_DIR)/$1/vmlinux: $(GUEST_DIR)/$1/vmlinuz scripts/guest/extract-vmlinux.sh
	scripts/guest/extract-vmlinux.sh $$< $$@ > $(GUEST_DIR)/$1/vmlinux.txt || { cat $(GUEST_DIR)/$1/vmlinux.txt; exit 1; }
	@cat $(GUEST_DIR)/$1/vmlinux.txt
$(GUEST_DIR)/$1/headers/.version: $(GUEST_DIR)/$1/kernel-version scripts/guest/fetch-headers.sh
	scripts/guest/fetch-headers.sh $(GUEST_DIR)/$1 $(GUEST_CACHE) $2
$(GUEST_DIR)/$1/ballast_balloon.ko: $(wildcard guests/linux/balloon/*.c) guests/linux/balloon/Kbuild \
				 $(GUEST_DIR)/$1/headers/.version $(GUEST_MOD_SRC_DEPS)
	GUEST_KDIR=$(GUEST_DIR)/$1/headers/kdir scripts/guest/build-module.sh $$@ guests/linux/balloon
$(GUEST_DIR)/$1/ballast_hctest.ko: $(wildcard guests/linux/hctest/*.c) guests/linux/hctest/Kbuild \
				$(GUEST_DIR)/$1/headers/.version $(GUEST_MOD_SRC_DEPS)
	GUEST_KDIR=$(GUEST_DIR)/$1/headers/kdir scripts/guest/build-module.sh $$@ guests/linux/hctest
endef
$(eval $(call guest_flavour,cloud,cloud-amd64))
$(eval $(call guest_flavour,rt,rt-amd64))
$(GUEST_CLOUD_DIR)/kernel-version: $(GUEST_CLOUD_VMLINUZ)
# rt's modules need only its release, not its kernel package (~71 MB); 'make build/guest/rt/vmlinux' still fetches
# the kernel.
$(GUEST_RT_DIR)/kernel-version: scripts/guest/fetch-kernel.sh
	scripts/guest/fetch-kernel.sh --version-only $(GUEST_RT_DIR) $(GUEST_CACHE) rt-amd64

guest-cloud-kernel: $(GUEST_CLOUD_VMLINUZ) $(GUEST_CLOUD_VMLINUX)
guest-cloud-headers: $(GUEST_CLOUD_HEADERS)/.version
guest-cloud-balloon: $(GUEST_CLOUD_BALLOON_MOD) $(GUEST_CLOUD_HCTEST_MOD)
guest-cloud: guest-cloud-kernel guest-cloud-balloon
# rt: only the modules (no kernel is fetched).  The initramfs is remade so that it carries them (GUEST_BALLOON_KO
# picks up built rt modules).
guest-rt-balloon: $(GUEST_RT_BALLOON_MOD) $(GUEST_RT_HCTEST_MOD)
	$(MAKE) --no-print-directory guest-initramfs

guest-kernel-update:
	rm -f $(GUEST_VMLINUZ) $(GUEST_CLOUD_VMLINUZ)
	$(MAKE) guest-kernel guest-cloud-kernel

guest-qemu-test: guest
	scripts/boot-test.sh --emulator qemu --kernel $(GUEST_VMLINUZ) --megs 256 --timeout 120 \
	  --qemu-args "-initrd $(GUEST_INITRAMFS)" --append "$(GUEST_CMDLINE) ballast.workload=memtouch:64 ballast.exit=reboot" \
	  --expect BALLAST-GUEST-READY --expect 'MemTotal:' --expect 'memtouch: wrote and verified 64 MiB' \
	  --done 'BALLAST-GUEST-DONE rc=0' --reject 'Kernel panic|BALLAST-GUEST-DONE rc=[1-9]' --log $(BUILD)/logs/guest-qemu-bzimage.log
	scripts/boot-test.sh --emulator qemu --kernel $(GUEST_VMLINUX) --megs 256 --timeout 120 \
	  --qemu-args "-initrd $(GUEST_INITRAMFS)" --append "$(GUEST_CMDLINE) ballast.workload=memtouch:64 ballast.exit=reboot" \
	  --expect BALLAST-GUEST-READY --expect 'MemTotal:' --expect 'memtouch: wrote and verified 64 MiB' \
	  --done 'BALLAST-GUEST-DONE rc=0' --reject 'Kernel panic|BALLAST-GUEST-DONE rc=[1-9]' --log $(BUILD)/logs/guest-qemu-pvh.log

# The refusal path, the one part of the modules that runs without ballast: in QEMU (no ballast signature) both
# modules must fail to load with "no ballast hypervisor" and nothing worse.  The balloon's refusal does not fail the
# guest (rc=0); a requested hctest that cannot run does (pass=0 fail=1, rc=1).  The initramfs is remade by a
# second make so that it picks up modules built in this same run.
# It runs for each flavour that boots (standard and cloud), each kernel with the same initramfs: the module's own
# "no ballast hypervisor" line proves that /init picked the one built for the running kernel and that the kernel
# accepted it (one of another flavour is refused first: "disagrees about version of symbol module_layout",
# "Invalid module format").
GUEST_MOD_REJECT := disagrees about version|[Ii]nvalid module format|Unknown symbol|no ballast_[a-z]*\.ko for
# $(call guest_modules_qemu_test,VMLINUX,KERNEL-VERSION FILE,LOG SUFFIX)
define guest_modules_qemu_test
scripts/boot-test.sh --emulator qemu --kernel $1 --megs 256 --timeout 120 \
  --qemu-args "-initrd $(GUEST_INITRAMFS)" \
  --append "$(GUEST_CMDLINE) ballast.balloon=1 ballast.workload=memtouch:16 ballast.exit=reboot" \
  --expect "kernel: $$(cat $2) " \
  --expect 'ballast-balloon: no ballast hypervisor: ' --expect 'balloon: not loaded: no ballast hypervisor' \
  --expect 'memtouch: wrote and verified 16 MiB' --done 'BALLAST-GUEST-DONE rc=0' \
  --reject 'Kernel panic|BUG:|WARNING:|Oops|BALLAST-GUEST-DONE rc=[1-9]|balloon: loaded|$(GUEST_MOD_REJECT)' \
  --log $(BUILD)/logs/guest-balloon-qemu$3.log
scripts/boot-test.sh --emulator qemu --kernel $1 --megs 256 --timeout 120 \
  --qemu-args "-initrd $(GUEST_INITRAMFS)" --append "$(GUEST_CMDLINE) ballast.hctest=1 ballast.exit=reboot" \
  --expect "kernel: $$(cat $2) " \
  --expect 'ballast-hctest: no ballast hypervisor: ' --expect 'BALLAST-HCTEST-DONE pass=0 fail=1' \
  --done 'BALLAST-GUEST-DONE rc=1' --reject 'Kernel panic|BUG:|WARNING:|Oops|ballast-hctest: start|$(GUEST_MOD_REJECT)' \
  --log $(BUILD)/logs/guest-hctest-qemu$3.log
endef
guest-balloon-qemu-test: guest-balloon guest-cloud-balloon $(GUEST_VMLINUX) $(GUEST_CLOUD_VMLINUX)
	$(MAKE) --no-print-directory guest-initramfs
	$(call guest_modules_qemu_test,$(GUEST_VMLINUX),$(GUEST_DIR)/kernel-version,)
	$(call guest_modules_qemu_test,$(GUEST_CLOUD_VMLINUX),$(GUEST_CLOUD_DIR)/kernel-version,-cloud)

# The guest modules against a hypervisor simulated inside the guest (balloon/fakehv/fake_hv.c): hctest's checks
# must all pass against it; the balloon must inflate to the cap, deflate under memtouch's pressure without an OOM
# kill, re-inflate after the hold-off, follow the target and give everything back on unload.  This tests the
# modules, not ballast: the real answers come from the hypervisor (hctest under ballast checks those).
guest-balloon-fakehv-test: $(GUEST_FAKEHV_INITRAMFS) $(GUEST_VMLINUX)
	scripts/boot-test.sh --emulator qemu --kernel $(GUEST_VMLINUX) --megs 256 --timeout 240 \
	  --qemu-args "-initrd $(GUEST_FAKEHV_INITRAMFS)" --append "$(GUEST_CMDLINE)" \
	  --expect 'fakehv-test: hctest against the fake: pass=[1-9]' \
	  --expect 'fakehv-test: memtouch under pressure verified: ok' --done 'BALLAST-FAKEHV-TEST-DONE fail=0' \
	  --reject 'Kernel panic|BUG:|WARNING:|Oops|fakehv-test: .*: FAIL|BALLAST-FAKEHV-TEST-DONE fail=[1-9]' \
	  --log $(BUILD)/logs/guest-balloon-fakehv.log

# Swap on zram, no hypervisor: a 256 MiB guest (~210 MiB MemTotal) with 256 MiB of zram runs memload over 320 MiB.
# It must swap (pswpout > 0, swap used > 0), its pages must cost zram real memory but less than RAM (neither
# same-filled nor incompressible: mem_used 20-59% of the data), every word must verify and nothing may be OOM-killed.
guest-zram-qemu-test: $(GUEST_VMLINUX) $(GUEST_INITRAMFS)
	scripts/boot-test.sh --emulator qemu --kernel $(GUEST_VMLINUX) --megs 256 --timeout 180 \
	  --qemu-args "-initrd $(GUEST_INITRAMFS)" \
	  --append "$(GUEST_CMDLINE) ballast.zram=256M ballast.meminfo=1 ballast.workload=memload:320,--duration-s,10 ballast.exit=reboot" \
	  --expect 'zram: swap 256M on /dev/zram0 \((lz4|lzo-rle)\)' \
	  --expect 'memload: swap used=[1-9][0-9]* MiB .*\(([2-5][0-9])% of orig\) same_pages=[0-9]{1,2} ' \
	  --expect 'memload: final check of all 81920 pages: 0 errors' \
	  --expect 'memload: done ws=320 ops=[1-9][0-9]* rate=[1-9][0-9]* errors=0' \
	  --expect 'vmstat: .*pswpout=[1-9][0-9]* .*oom_kill=0' --done 'BALLAST-GUEST-DONE rc=0' \
	  --reject 'Kernel panic|BUG:|WARNING:|Oops|Out of memory|oom-kill|memload: ERROR|zram: not set up|BALLAST-GUEST-DONE rc=[1-9]' \
	  --log $(BUILD)/logs/guest-zram-qemu.log

guest-direct-test: guest
	scripts/guest/grub-direct-test.sh --append "$(GUEST_CMDLINE) ballast.workload=memtouch:64"

guest-clean:
	rm -rf $(GUEST_DIR)

.PHONY: guest guest-kernel guest-initramfs guest-kernel-update guest-qemu-test guest-direct-test guest-clean \
	guest-headers guest-balloon guest-balloon-qemu-test guest-balloon-fakehv-test \
	guest-cloud guest-cloud-kernel guest-cloud-headers guest-cloud-balloon guest-rt-balloon guest-zram-qemu-test

.DEFAULT_GOAL := $(guest_saved_default_goal)
