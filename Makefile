# pith: a tiny OCI runtime and its shim. One Makefile, out-of-tree build/.
#
#   make              build/pith, build/pith-shim, build/pith-init
#   make deps         install Debian build and test dependencies (no-op when present)
#   make demo         (root) run a container from a busybox rootfs made here
#   make check        every test: unit, integration, .NET, clients
#   make install PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= gcc
PKG_CONFIG ?= pkg-config
ARCH    ?=

-include boards/cross.mk

LIBS_PC := libseccomp libcap jansson libmnl
PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS   := $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)

VERSION := 0.1.0
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
# Size matters on a device's flash: -Os, dead code removed at link time, no
# unwind tables (C, no exceptions; backtraces come from -g in the unstripped file).
CFLAGS  ?= -Os -g
SIZE_CFLAGS := -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
ALL_CFLAGS := -std=gnu11 $(WARN) $(HARDEN) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 \
	-DPITH_VERSION='"$(VERSION)"' -DPITH_COMMIT='"$(COMMIT)"' \
	-MMD -MP $(PC_CFLAGS) $(SIZE_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS ?=
# Packed relative relocations (DT_RELR) shrink a PIE a lot; they need glibc >= 2.36 where the
# binary runs, which is what the toolchain (or the board sysroot) links against when it offers them.
RELR := $(shell echo 'int main(void){return 0;}' | $(CC) -x c - -o /dev/null -Wl,--fatal-warnings -Wl,-z,pack-relative-relocs \
	2>/dev/null && echo -Wl,-z,pack-relative-relocs)
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(RELR) $(LDFLAGS)
# Not for test binaries: Criterion finds its tests in sections nothing references.
BIN_LDFLAGS := $(ALL_LDFLAGS) -Wl,--gc-sections

CONFIG_SRC  := $(sort $(wildcard config/*.c))
# runtime/cli/: the command verbs and main; runtime/ and its other folders: the library.
RUNTIME_SRC := $(sort $(wildcard runtime/*.c runtime/*/*.c))
CLI_SRC     := $(sort $(wildcard runtime/cli/*.c))
SHIM_SRC    := $(sort $(wildcard shim/*.c))
INIT_SRC    := $(sort $(wildcard shim/init/*.c))
# Profiles and other data compiled into the binary (config/*.json -> C arrays).
DATA_JSON   := $(sort $(wildcard config/*.json))

CONFIG_OBJ  := $(CONFIG_SRC:%.c=$(BUILD)/%.o) $(DATA_JSON:%.json=$(BUILD)/%.json.o)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ     := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ     := $(CONFIG_OBJ) $(filter-out $(CLI_OBJ),$(RUNTIME_OBJ))
# The verbs without main: what the unit tests that drive a verb (pith check) link.
VERB_OBJ    := $(filter-out $(BUILD)/runtime/cli/main.o,$(CLI_OBJ))
# The shim shares the runtime's error type, fd closing and signal names: objects that need only libc.
SHIM_OBJ    := $(SHIM_SRC:%.c=$(BUILD)/%.o) $(BUILD)/runtime/error.o $(BUILD)/runtime/process/fd_close.o \
	$(BUILD)/runtime/process/signals.o
INIT_OBJ    := $(INIT_SRC:%.c=$(BUILD)/%.o)
# pith-image has its own libraries; it shares only the defaults of `pith spec` and the error type.
# SHA-256 from Nettle, which libarchive loads anyway (image/digest.c says why not libcrypto).
IMAGE_PC    := libarchive nettle jansson
# The image's User is looked up by the runtime's passwd code (and what it needs: libc only).
IMAGE_RUNTIME_OBJ := $(addprefix $(BUILD)/runtime/,error.o process/passwd.o mount/paths.o process/process.o process/fd_close.o)
# pull and push (libcurl) are pith-image-pull, which pith-image execs for them (image/net_exec.c):
# the offline commands load no TLS stack. pith-image-pull is the whole tool.
IMAGE_NET_SRC := image/pull.c image/push.c image/registry.c image/remote.c image/fetch.c image/progress.c image/tls.c
IMAGE_ALL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard image/*.c)))
IMAGE_OBJ   := $(filter-out $(IMAGE_NET_SRC:%.c=$(BUILD)/%.o),$(IMAGE_ALL_OBJ)) $(BUILD)/config/spec_default.o \
	$(BUILD)/config/seccomp_default.json.o $(IMAGE_RUNTIME_OBJ)
# What the unit tests take from image/: the decisions made without libarchive or libcrypto
# (the runtime objects come from libpith.a there).
IMAGE_UNIT_OBJ := $(addprefix $(BUILD)/image/,media.o overlay.o platform.o user.o)
# gzip layers through ISA-L's inflate, about 3x zlib's speed (image/inflate.c), where pkg-config
# finds libisal (libisal-dev; ISAL=0 to leave gzip to libarchive's zlib, as without it)
ISAL ?= $(if $(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo y),1,0)
ifeq ($(ISAL),1)
IMAGE_PC += libisal
$(BUILD)/image/inflate.o: ALL_CFLAGS += -DPITH_ISAL
endif

UNIT_SRC    := $(sort $(wildcard tests/unit/*.c))
INTEG_SRC   := $(sort $(wildcard tests/integration/*.c))

BINS := $(BUILD)/pith $(if $(SHIM_SRC),$(BUILD)/pith-shim) $(if $(INIT_SRC),$(BUILD)/pith-init) $(BUILD)/pith-image $(BUILD)/pith-image-pull

.PHONY: all deps demo check check-unit check-integration check-dotnet check-clients check-boards check-image \
	bench fuzz install clean fixtures
all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(OBJ_CFLAGS) -c $< -o $@

# Embed a JSON data file as a NUL-terminated string symbol: config/foo.json -> pith_data_foo_json.
$(BUILD)/config/%.json.o: config/%.json
	@mkdir -p $(dir $@)
	{ printf 'const char pith_data_%s_json[] = {' "$$(echo $* | tr -c 'a-zA-Z0-9\n' _)"; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; printf '0x00};\n'; } > $(BUILD)/config/$*.json.c
	$(CC) $(ALL_CFLAGS) -c $(BUILD)/config/$*.json.c -o $@

$(BUILD)/libpith.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libpith-cli.a: $(VERB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/pith: $(BUILD)/runtime/cli/main.o $(BUILD)/libpith-cli.a $(BUILD)/libpith.a
	$(CC) $(BIN_LDFLAGS) -o $@ $^ $(PC_LIBS)

$(BUILD)/pith-shim: $(SHIM_OBJ)
	$(CC) $(BIN_LDFLAGS) -o $@ $^

# IMAGE_STATIC_ARCHIVE=1 links the libarchive objects pith-image uses into it, so libarchive's
# libxml2 (for xar), ICU and libstdc++ are not loaded: a load's peak RSS goes from ~6 to ~3.5 MiB
# (make bench). The price: a libarchive security fix needs a rebuild. Needs libarchive.a and the
# -dev packages of what it links (pkg-config --static libarchive: libacl1-dev, libzstd-dev, ...).
# On by default for a native build where libarchive.a is installed (make deps installs it and
# what it links); IMAGE_STATIC_ARCHIVE=0 for a libarchive the system updates.
ARCHIVE_LIBDIR := $(shell $(PKG_CONFIG) --variable=libdir libarchive 2>/dev/null)
ARCHIVE_STATIC_DEPS := $(patsubst -l%,%,$(filter-out -larchive,$(shell $(PKG_CONFIG) --static --libs-only-l libarchive 2>/dev/null)))
IMAGE_STATIC_ARCHIVE ?= $(if $(ARCH),0,$(if $(and $(wildcard $(ARCHIVE_LIBDIR)/libarchive.a),\
	$(filter $(words $(ARCHIVE_STATIC_DEPS)),$(words $(wildcard $(ARCHIVE_STATIC_DEPS:%=$(ARCHIVE_LIBDIR)/lib%.so))))),1,0))
# libcurl for pith-image-pull. CURL=static (the default for a native build): Debian's curl source
# built HTTP(S)-only with mbedTLS by image/curl-minimal.sh into $(BUILD)/curl (fetched once through
# apt, kept there): a pull's peak RSS drops by the ~7 MiB that libcurl4's 33 shared libraries and
# OpenSSL's init cost (the script says why mbedTLS). Offline, the system's libcurl with one notice
# line (make retries the fetch next time); in CI (CI=true) that is an error, so what is tested and
# measured is what ships. CURL=system: Debian's libcurl, which security updates reach without a
# rebuild (the cross builds use it: the board sysroots have it).
CURL ?= $(if $(ARCH),system,static)
CURL_DIR := $(BUILD)/curl
ifeq ($(CURL),static)
CURL_DEP := $(CURL_DIR)/libs
# read when a recipe runs, after the library is built (or found not buildable)
CURL_CFLAGS = $(shell cat $(CURL_DIR)/cflags 2>/dev/null || $(PKG_CONFIG) --cflags libcurl)
CURL_LIBS = $(shell cat $(CURL_DIR)/libs 2>/dev/null || $(PKG_CONFIG) --libs libcurl)
else ifeq ($(CURL),system)
CURL_DEP :=
CURL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS := $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)
else
$(error CURL=$(CURL): expected static or system)
endif
$(CURL_DIR)/libs: image/curl-minimal.sh
	@rm -f $@ $(CURL_DIR)/cflags
	@image/curl-minimal.sh $(CURL_DIR) || { r=$$?; [ $$r = 3 ] || exit $$r; \
		if [ "$${CI:-}" = true ]; then echo "error: Debian's curl source could not be fetched" \
			"(see $(CURL_DIR)/build.log); in CI the build links only what ships (CURL=system to choose" \
			"the system's libcurl)" >&2; exit 1; fi; \
		echo "notice: Debian's curl source could not be fetched (see $(CURL_DIR)/build.log):" \
			"pith-image-pull links the system's libcurl"; }

ifeq ($(IMAGE_STATIC_ARCHIVE),1)
IMAGE_LIBS = -Wl,-Bstatic -larchive -Wl,-Bdynamic \
	$(filter-out -larchive,$(shell $(PKG_CONFIG) --static --libs-only-l libarchive 2>/dev/null)) \
	$(shell $(PKG_CONFIG) --libs $(filter-out libarchive,$(IMAGE_PC)) 2>/dev/null)
else
IMAGE_LIBS = $(shell $(PKG_CONFIG) --libs $(IMAGE_PC) 2>/dev/null)
endif
# pith-image-pull, with libarchive static, also takes what libarchive links, Nettle and jansson
# from their .a files when every one is installed (the -dev packages make deps installs): each
# shared library costs a process its own relocated pages and the text faulted in around each
# call, ~0.6 MiB of a pull's peak for these eight. Not pith-image: its figures are measured so.
# (libisal has no .a in Debian: it stays shared)
PULL_STATIC_DEPS := $(filter-out xml2,$(ARCHIVE_STATIC_DEPS)) nettle jansson
ifeq ($(IMAGE_STATIC_ARCHIVE)$(words $(wildcard $(PULL_STATIC_DEPS:%=$(ARCHIVE_LIBDIR)/lib%.a))),1$(words $(PULL_STATIC_DEPS)))
# (libxml2 only for xar, which pith-image never registers: a link that needs it fails loudly)
IMAGE_PULL_LIBS = -Wl,-Bstatic -larchive $(PULL_STATIC_DEPS:%=-l%) -Wl,-Bdynamic \
	$(if $(filter 1,$(ISAL)),$(shell $(PKG_CONFIG) --libs libisal))
else
IMAGE_PULL_LIBS = $(IMAGE_LIBS)
endif
$(BUILD)/image/%.o: ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags $(IMAGE_PC) 2>/dev/null)
# the objects that include curl/curl.h compile against the headers of the libcurl they link
# (and again when it is rebuilt: its flags may have changed)
IMAGE_CURL_OBJ := $(IMAGE_NET_SRC:%.c=$(BUILD)/%.o)
$(IMAGE_CURL_OBJ): OBJ_CFLAGS = $(CURL_CFLAGS)
$(IMAGE_CURL_OBJ): $(CURL_DEP)
IMAGE_PULL_OBJ := $(filter-out $(BUILD)/image/net_exec.o,$(IMAGE_OBJ)) $(IMAGE_CURL_OBJ)
$(BUILD)/pith-image: $(IMAGE_OBJ)
	$(CC) $(BIN_LDFLAGS) -o $@ $^ $(IMAGE_LIBS)
$(BUILD)/pith-image-pull: $(IMAGE_PULL_OBJ) $(CURL_DEP)
	$(CC) $(BIN_LDFLAGS) -o $@ $(filter %.o,$^) $(IMAGE_PULL_LIBS) $(CURL_LIBS)

# pith-init runs inside any image (distroless, musl): it must need nothing there.
$(BUILD)/pith-init: $(INIT_OBJ)
	$(CC) -static -Wl,-z,relro,-z,now -Wl,--gc-sections -o $@ $^

# ---------- tests ----------
CRITERION_LIBS := $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null || echo -lcriterion)

# image/ref.c (reference parsing) is plain C with no library: its unit tests link it directly
$(BUILD)/tests/unit-tests: $(UNIT_SRC:%.c=$(BUILD)/%.o) $(IMAGE_UNIT_OBJ) $(BUILD)/image/ref.o $(BUILD)/libpith-cli.a $(BUILD)/libpith.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CRITERION_LIBS)

$(BUILD)/tests/integration-tests: $(INTEG_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libpith.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CRITERION_LIBS)

# The busybox rootfs every integration test and the demo start from (no network).
FIXTURE_ROOTFS := $(BUILD)/fixtures/rootfs
$(FIXTURE_ROOTFS)/bin/busybox: tests/fixtures/mkrootfs.sh
	tests/fixtures/mkrootfs.sh $(FIXTURE_ROOTFS)
fixtures: $(FIXTURE_ROOTFS)/bin/busybox

deps:
	@tests/deps.sh

demo: deps all fixtures
	@tests/fixtures/demo.sh $(BUILD)

check-unit: $(BUILD)/tests/unit-tests
	$(BUILD)/tests/unit-tests --jobs 2

check-integration: all fixtures $(BUILD)/tests/integration-tests
	@# its tests skip one by one without root: in CI that is a tier that did not run
	@if [ "$$(id -u)" != 0 ]; then . tests/tier-skip.sh; tier_skip "integration tests" "they need root"; fi
	@PITH_BUILD=$(abspath $(BUILD)) $(BUILD)/tests/integration-tests --jobs 2; r=$$?; \
		tests/fixtures/cgroup-cleanup.sh pith-test pith; exit $$r
	@# the shim's suite again with crun, so it tests the shim and not pith's quirks
	@if command -v crun >/dev/null; then \
		echo "shim tests with crun (v1-only cgroup view):"; \
		PITH_BUILD=$(abspath $(BUILD)) PITH_SHIM_TEST_RUNTIME=$(abspath tests/fixtures/crun-v1.sh) \
			$(BUILD)/tests/integration-tests --jobs 2 --filter 'shim/*'; r=$$?; \
		tests/fixtures/cgroup-cleanup.sh pith-test pith; exit $$r; \
	else . tests/tier-skip.sh; tier_skip "shim tests with crun" "crun is not installed"; fi

check-dotnet: all fixtures
	@tests/dotnet/run.sh $(abspath $(BUILD)); r=$$?; tests/fixtures/cgroup-cleanup.sh pith-test pith; exit $$r

check-clients: all fixtures
	@tests/clients/run.sh $(abspath $(BUILD)); r=$$?; tests/fixtures/cgroup-cleanup.sh pith-test pith; exit $$r

check-boards:
	@boards/check-boards.sh

check-image: all fixtures
	@tests/image/run.sh $(abspath $(BUILD)); r=$$?; tests/fixtures/cgroup-cleanup.sh pith-test pith; exit $$r

check: deps
	$(MAKE) all
	$(MAKE) check-unit
	$(MAKE) check-integration
	$(MAKE) check-dotnet
	$(MAKE) check-clients
	$(MAKE) check-image
	$(MAKE) check-boards

bench: all fixtures
	@tests/bench/run.sh $(abspath $(BUILD))

fuzz:
	@tests/fuzz/run.sh $(abspath $(BUILD))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -d $(DESTDIR)$(PREFIX)/share/pith/boards
	install -m 0644 boards/profiles/*.conf $(DESTDIR)$(PREFIX)/share/pith/boards/
	for b in $(notdir $(BINS)); do \
		if [ -f doc/$$b.8 ]; then install -m 0644 doc/$$b.8 $(DESTDIR)$(PREFIX)/share/man/man8/; fi; done

clean:
	rm -rf $(BUILD)

# only our object dirs: $(BUILD) also holds sysroots whose "*.d" are directories
-include $(wildcard $(addprefix $(BUILD)/,config/*.d image/*.d runtime/*.d runtime/*/*.d shim/*.d shim/init/*.d tests/*/*.d))
