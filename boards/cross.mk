# Cross-building for ARM boards, included by the top Makefile.
#   make ARCH=armhf      -> build/armhf/{pith,pith-shim,pith-init} for ARMv7 hard-float
#   make ARCH=arm64      -> build/arm64/...
# The compiler is Debian's cross gcc; headers and libraries come from a sysroot
# made on first use by boards/sysroot.sh under build/boards/ (ignored by git).
# CC, BUILD and SYSROOT given on the command line win.

BOARDS_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

ifneq ($(filter armhf arm64,$(ARCH)),)

CROSS_TRIPLET_armhf := arm-linux-gnueabihf
CROSS_TRIPLET_arm64 := aarch64-linux-gnu
CROSS_TRIPLET := $(CROSS_TRIPLET_$(ARCH))

SYSROOT ?= $(abspath $(BOARDS_DIR)/../build/boards/sysroot-$(ARCH))

ifneq ($(origin BUILD),command line)
BUILD := build/$(ARCH)
endif

# The sysroot must exist before the top Makefile asks pkg-config for flags,
# which happens while it is parsed: make it now unless only cleaning. sysroot.sh is a no-op
# when the sysroot's stamp lists the packages it wants, and remakes an older one (a sysroot
# made before libcurl joined pith-image's libraries has no curl/curl.h).
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
CROSS_SYSROOT_OK := $(shell $(BOARDS_DIR)/sysroot.sh $(ARCH) $(SYSROOT) 1>&2 && echo ok)
ifneq ($(CROSS_SYSROOT_OK),ok)
$(error boards/sysroot.sh $(ARCH) failed: no sysroot in $(SYSROOT))
endif
endif

ifneq ($(origin CC),command line)
CC := $(CROSS_TRIPLET)-gcc --sysroot=$(SYSROOT)
endif
AR := $(CROSS_TRIPLET)-ar

# Only the sysroot's .pc files, with their paths rebased into the sysroot;
# usr/local is where a locally built armhf Criterion would go; none is needed:
# the armhf unit tests build against tests/unit/mini_criterion (boards/unit-qemu.sh).
# The sysroot's own include/lib dirs are system dirs for the cross gcc: keep
# them out of the flags (as -I they would turn header warnings into errors).
PKG_CONFIG := env PKG_CONFIG_SYSROOT_DIR=$(SYSROOT) \
	PKG_CONFIG_SYSTEM_INCLUDE_PATH=$(SYSROOT)/usr/include \
	PKG_CONFIG_SYSTEM_LIBRARY_PATH=$(SYSROOT)/usr/lib/$(CROSS_TRIPLET):$(SYSROOT)/lib/$(CROSS_TRIPLET) \
	PKG_CONFIG_LIBDIR=$(SYSROOT)/usr/local/lib/pkgconfig:$(SYSROOT)/usr/lib/$(CROSS_TRIPLET)/pkgconfig:$(SYSROOT)/usr/share/pkgconfig \
	pkg-config

# Test binaries run under qemu-user: tell it where the target's libraries are.
export QEMU_LD_PREFIX := $(SYSROOT)

endif
