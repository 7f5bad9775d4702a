# Guest images: Debian's stock kernel, its uncompressed vmlinux, and the busybox initramfs with the workloads.
# Included from the top-level Makefile (-include mk/guest.mk); see guests/linux/README.md.
#
#   make guest              everything below
#   make guest-kernel       build/guest/vmlinuz (Debian's bzImage) and build/guest/vmlinux (its ELF, PVH entry)
#   make guest-initramfs    build/guest/initramfs.cpio.gz
#   make guest-kernel-update  re-resolve linux-image-amd64 (after a Debian kernel update) and refresh the kernel
#   make guest-qemu-test    boot both kernel forms with the initramfs in QEMU TCG (seconds)
#   make guest-direct-test  boot the bzImage directly under GRUB in Bochs and time it (minutes; the benchmark baseline)
#
# Downloads go to cache/ (kept by 'make clean'); nothing downloaded is committed.
# GUEST_BALLOON_KO: set it to the balloon module's path to put it into the initramfs (loaded on ballast.balloon=1).

BUILD ?= build
# Whatever the including Makefile's default goal is (or will be), these rules must not become it.
guest_saved_default_goal := $(.DEFAULT_GOAL)
GUEST_DIR        := $(BUILD)/guest
GUEST_CACHE      ?= cache
GUEST_VMLINUZ    := $(GUEST_DIR)/vmlinuz
GUEST_VMLINUX    := $(GUEST_DIR)/vmlinux
GUEST_INITRAMFS  := $(GUEST_DIR)/initramfs.cpio.gz
GUEST_BALLOON_KO ?=
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

$(GUEST_INITRAMFS): guests/initramfs/init scripts/guest/mkinitramfs.sh $(GUEST_WORKLOADS) $(GUEST_BALLOON_KO)
	scripts/guest/mkinitramfs.sh $@ $(if $(GUEST_BALLOON_KO),--balloon $(GUEST_BALLOON_KO)) $(GUEST_WORKLOADS)

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

guest-direct-test: guest
	scripts/guest/grub-direct-test.sh --append "$(GUEST_CMDLINE) ballast.workload=memtouch:64"

guest-clean:
	rm -rf $(GUEST_DIR)

.PHONY: guest guest-kernel guest-initramfs guest-kernel-update guest-qemu-test guest-direct-test guest-clean

.DEFAULT_GOAL := $(guest_saved_default_goal)
