#!/usr/bin/env bash
# Install every Debian package ballast needs to build, test and run.  Idempotent: a fresh machine and CI run it;
# a machine that already has everything does nothing but check.
set -euo pipefail

PACKAGES=(
  build-essential nasm binutils               # compiler, assembler, linker
  grub-common grub-pc-bin grub-efi-amd64-bin  # grub-mkrescue with the BIOS and UEFI images
  xorriso mtools                              # grub-mkrescue's ISO and EFI-partition writers
  bochs bochsbios vgabios bochs-x             # the VT-x machine every VMX test runs on (bochs-x has the rfb display)
  qemu-system-x86                             # fast boot-path checks (TCG) and nested VT-x on Intel hosts
  libcmocka-dev                               # host unit tests
  gnuplot-nox                                 # plots from serial logs and the simulator
  busybox-static cpio xz-utils lz4            # guest initramfs; lz4: the cloud kernel's bzImage payload
  gcc-12 libelf1 libssl3                      # guest modules: the kernel's compiler, libraries of its kbuild tools
  python3                                     # log parsing in the scripts
  fdisk                                       # sfdisk: GPT images in the tests, mkswap.sh --partition
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
