# Guest images: Debian's stock kernel, its uncompressed vmlinux, and the busybox initramfs with the workloads.
# Included from the top-level Makefile (-include mk/guest.mk); see guests/linux/README.md.
#
#   make guest              everything below
#   make guest-kernel       build/guest/vmlinuz (Debian's bzImage) and build/guest/vmlinux (its ELF, PVH entry)
#   make guest-initramfs    build/guest/initramfs.cpio.gz
#   make guest-kernel-update  re-resolve linux-image-amd64 (after a Debian kernel update) and refresh the kernel
#   make guest-qemu-test    boot both kernel forms with the initramfs in QEMU TCG (seconds)
#   make guest-direct-test  boot the bzImage directly under GRUB in Bochs and time it (minutes; the benchmark baseline)
#   make guest-headers      build/guest/headers/: Debian's kbuild headers for the guest kernel, unpacked (no root)
#   make guest-balloon      build/guest/ballast_balloon.ko and ballast_hctest.ko (guests/linux/{balloon,hctest}/)
#   make guest-balloon-qemu-test  boot with both modules in QEMU TCG: both must refuse to load ("no ballast
#                           hypervisor") and the guest must still finish
#   make guest-balloon-fakehv-test  the balloon driver's policy in QEMU against a hypervisor simulated in the guest
#
# Downloads go to cache/ (kept by 'make clean'); nothing downloaded is committed.
# GUEST_BALLOON_KO, GUEST_HCTEST_KO: the modules put into the initramfs (loaded on ballast.balloon=1 and
# ballast.hctest=1).  By default both, built from guests/linux/ (make guest-balloon); set them empty to leave out.

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
GUEST_BALLOON_KO ?= $(GUEST_BALLOON_MOD)
GUEST_HCTEST_KO  ?= $(GUEST_HCTEST_MOD)
GUEST_CMDLINE    ?= console=ttyS0,115200 acpi=off nolapic pci=off nosmp

GUEST_WORKLOAD_SRCS := $(wildcard guests/workloads/*.c)
GUEST_WORKLOADS     := $(patsubst guests/workloads/%.c,$(GUEST_DIR)/workloads/%,$(GUEST_WORKLOAD_SRCS))
GUEST_WCFLAGS       ?= -static -O2 -Wall -Wextra -Werror

guest: $(GUEST_VMLINUZ) $(GUEST_VMLINUX) $(GUEST_INITRAMFS)
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
	scripts/guest/mkinitramfs.sh $@ $(if $(GUEST_BALLOON_KO),--balloon $(GUEST_BALLOON_KO)) \
	  $(if $(GUEST_HCTEST_KO),--hctest $(GUEST_HCTEST_KO)) $(GUEST_WORKLOADS)

# Guest modules: kbuild against Debian's headers for exactly the guest kernel, unpacked under build/ (no root, no
# linux-headers package installed).  The sources are copied to build/guest/<name>-src/ and built there.
$(GUEST_HEADERS)/.version: $(GUEST_DIR)/kernel-version scripts/guest/fetch-headers.sh
	scripts/guest/fetch-headers.sh $(GUEST_DIR) $(GUEST_CACHE)

GUEST_MOD_DEPS := $(GUEST_HEADERS)/.version scripts/guest/build-module.sh include/uapi/ballast_hypercall.h \
		  $(wildcard guests/linux/balloon/*.h)
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
	scripts/guest/mkinitramfs.sh $@ --init guests/linux/balloon/fakehv/init-test --balloon $(GUEST_FAKEHV_MOD) \
	  --hctest $(GUEST_HCTEST_FAKEHV_MOD) $(GUEST_DIR)/workloads/memtouch

guest-headers: $(GUEST_HEADERS)/.version
guest-balloon: $(GUEST_BALLOON_MOD) $(GUEST_HCTEST_MOD)

guest-kernel-update:
	rm -f $(GUEST_VMLINUZ)
	$(MAKE) guest-kernel

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
guest-balloon-qemu-test: guest-balloon $(GUEST_VMLINUX)
	$(MAKE) --no-print-directory guest-initramfs
	scripts/boot-test.sh --emulator qemu --kernel $(GUEST_VMLINUX) --megs 256 --timeout 120 \
	  --qemu-args "-initrd $(GUEST_INITRAMFS)" \
	  --append "$(GUEST_CMDLINE) ballast.balloon=1 ballast.workload=memtouch:16 ballast.exit=reboot" \
	  --expect 'ballast-balloon: no ballast hypervisor: ' --expect 'balloon: not loaded: no ballast hypervisor' \
	  --expect 'memtouch: wrote and verified 16 MiB' --done 'BALLAST-GUEST-DONE rc=0' \
	  --reject 'Kernel panic|BUG:|WARNING:|Oops|BALLAST-GUEST-DONE rc=[1-9]|balloon: loaded' \
	  --log $(BUILD)/logs/guest-balloon-qemu.log
	scripts/boot-test.sh --emulator qemu --kernel $(GUEST_VMLINUX) --megs 256 --timeout 120 \
	  --qemu-args "-initrd $(GUEST_INITRAMFS)" --append "$(GUEST_CMDLINE) ballast.hctest=1 ballast.exit=reboot" \
	  --expect 'ballast-hctest: no ballast hypervisor: ' --expect 'BALLAST-HCTEST-DONE pass=0 fail=1' \
	  --done 'BALLAST-GUEST-DONE rc=1' --reject 'Kernel panic|BUG:|WARNING:|Oops|ballast-hctest: start' \
	  --log $(BUILD)/logs/guest-hctest-qemu.log

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

guest-direct-test: guest
	scripts/guest/grub-direct-test.sh --append "$(GUEST_CMDLINE) ballast.workload=memtouch:64"

guest-clean:
	rm -rf $(GUEST_DIR)

.PHONY: guest guest-kernel guest-initramfs guest-kernel-update guest-qemu-test guest-direct-test guest-clean \
	guest-headers guest-balloon guest-balloon-qemu-test guest-balloon-fakehv-test

.DEFAULT_GOAL := $(guest_saved_default_goal)
