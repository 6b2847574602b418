# libreuseport: make | make test | make test-fast | make check | make demo | make bench | make install | make deb
# Quiet by default; V=1 shows the commands.
#
# Three products, a folder each, over what they share (lower rooms never
# include or call a higher one):
#   preload/   libreuseport.so        the interposer (libc only)
#   cli/       reuseport              the command (links the group library);
#                                     cli/run/ the supervisor, cli/bench/ bench
#   group/     libreuseport-steer.so  the group library (libbpf): dlopen'ed by
#                                     the interposer, linked into the command
#   common/    configuration, logging, names, raw system calls (libc only)
#   bpf/       the steering program and the layout it shares with user space
# Every source is compiled once into build/obj/ (-fPIC serves the shared
# objects and the PIE command alike); headers are tracked with -MMD.

BUILD    ?= build
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
COMPDIR  ?= $(PREFIX)/share/bash-completion/completions
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
# The BPF objects and their skeletons are the same for every 64-bit
# little-endian machine: a cross build (make cross-arm64) takes them from
# BPF_BUILD, built once with the build machine's <asm/types.h>.
BPF_BUILD    ?= $(BUILD)
CC_FOR_BUILD ?= cc
ARCH_INC := -I/usr/include/$(shell $(CC_FOR_BUILD) -dumpmachine)
# the library directory `reuseport run` also looks in: ../lib/$(MULTIARCH)/
MULTIARCH ?= $(shell $(CC) -dumpmachine)

# snprintf truncation is by design: pin paths are bounded (pin dir <= 200 chars).
WARN     := -Wall -Wextra -Werror
UWARN    := $(WARN) -Wno-format-truncation
CFLAGS   ?= -O2 -g
INCS     := -Ibpf -Icommon -Igroup -Ipreload -Icli -I$(BUILD) -I$(BPF_BUILD)
# the one version number: reuseport --version
VERSION  := 0.11.0
CPPFLAGS += -D_GNU_SOURCE -DRP_VERSION='"$(VERSION)"' $(INCS)
BASE     := -std=gnu11 $(UWARN) -fPIC -fvisibility=hidden -ffunction-sections -fdata-sections
SAN      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all test test-fast check unit integration kselftests fuzz tsan demo bench install \
	uninstall clean format check-format shellcheck check-bpf-headers deps products deb \
	cross-arm64 cross-arm64-check

COMMON_SRCS := $(wildcard common/*.c)
SHIM_SRCS   := $(wildcard preload/*.c)
GROUP_SRCS  := $(filter-out group/steer_api.c,$(wildcard group/*.c))
CLI_SRCS    := $(wildcard cli/*.c cli/*/*.c)
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

PRELOAD_OBJS := $(call obj,$(SHIM_SRCS) $(COMMON_SRCS))
STEER_OBJS   := $(call obj,$(GROUP_SRCS) group/steer_api.c $(COMMON_SRCS))
CLI_OBJS     := $(call obj,$(CLI_SRCS) $(GROUP_SRCS) $(COMMON_SRCS))
HELPERS      := $(patsubst tests/lib/%.c,$(BUILD)/helpers/%,\
	$(filter-out %.bpf.c,$(wildcard tests/lib/*.c)))
UNIT_TESTS   := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))

PRODUCTS := $(BUILD)/libreuseport.so $(BUILD)/libreuseport-steer.so $(BUILD)/reuseport

all: $(PRODUCTS) $(HELPERS)

# what make install and the Debian package ship (no test helpers)
products: $(PRODUCTS)

# The products for arm64 into $(BUILD)/arm64/, with Debian's cross compiler
# and the arm64 libbpf and json-c (scripts/install-deps --cross arm64); the
# BPF skeletons are this build's.
CROSS_CC_arm64 := aarch64-linux-gnu-gcc
cross-arm64: $(BUILD)/steer.skel.h $(BUILD)/cgroup.skel.h
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/arm64 BPF_BUILD=$(BUILD) \
		CC=$(CROSS_CC_arm64) products

# ... run under qemu-user (qemu-user-static): the command, and the unit test
# of the raw system calls, built for arm64 without the sanitizers (their
# arm64 run-time libraries are not installed).
cross-arm64-check: cross-arm64
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/arm64 BPF_BUILD=$(BUILD) \
		CC=$(CROSS_CC_arm64) SAN='-O1 -g' $(BUILD)/arm64/unit/test_rawsys
	$(Q)qemu-aarch64-static $(BUILD)/arm64/reuseport --version
	$(Q)qemu-aarch64-static $(BUILD)/arm64/unit/test_rawsys

# ---- BPF: the program, stripped of DWARF (BTF stays), and its skeleton
# One translation unit: steer.bpf.c and its parts, the headers of bpf/
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__BPF__ $(ARCH_INC) -Ibpf $(WARN)
$(BPF_BUILD)/steer.tmp.bpf.o: bpf/steer.bpf.c $(wildcard bpf/*.h)
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_BUILD)/steer.bpf.o: $(BPF_BUILD)/steer.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BPF_BUILD)/steer.skel.h: $(BPF_BUILD)/steer.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name steer_bpf > $@

# reuseport run's cgroup programs (bind hooks, connection counting)
$(BPF_BUILD)/cgroup.tmp.bpf.o: bpf/cgroup.bpf.c bpf/steer.h bpf/registry.h
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_BUILD)/cgroup.bpf.o: $(BPF_BUILD)/cgroup.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BPF_BUILD)/cgroup.skel.h: $(BPF_BUILD)/cgroup.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name cgroup_bpf > $@

# ---- user space: every object once
$(BUILD)/obj/%.o: %.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(BASE) $(CFLAGS) -MMD -MP -c $< -o $@

# the group library includes the generated skeleton, run's cgroup mode its own
$(call obj,$(GROUP_SRCS)): $(BPF_BUILD)/steer.skel.h
$(call obj,cli/run/cgroup.c): $(BPF_BUILD)/cgroup.skel.h
# the version and the multiarch directory are compiled in
$(call obj,cli/main.c cli/run/args.c): Makefile
$(call obj,cli/run/args.c): CPPFLAGS += -DRP_MULTIARCH='"$(MULTIARCH)"'

# The interposer links only libc: processes that never listen pay no libbpf.
$(BUILD)/libreuseport.so: $(PRELOAD_OBJS) preload/libreuseport.map
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,--version-script=preload/libreuseport.map \
		-Wl,--gc-sections -Wl,-O1 -Wl,--as-needed -Wl,-soname,libreuseport.so $(LDFLAGS) -o $@ $(PRELOAD_OBJS) -ldl -lpthread

$(BUILD)/libreuseport-steer.so: $(STEER_OBJS) group/libreuseport-steer.map
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,--version-script=group/libreuseport-steer.map \
		-Wl,-z,now -Wl,-soname,libreuseport-steer.so $(LDFLAGS) -o $@ $(STEER_OBJS) -lbpf

$(BUILD)/reuseport: $(CLI_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -pie $(LDFLAGS) -o $@ $(CLI_OBJS) -lbpf -ljson-c

# The stall guard's test vector in the kernel: bpf/stall.h built as the
# program is, in a program BPF_PROG_TEST_RUN can run
$(BUILD)/stall_vector.bpf.o: tests/lib/stall_vector.bpf.c bpf/stall.h bpf/steer.h \
	bpf/registry.h tests/unit/stall_cases.h
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/stall_vector.skel.h: $(BUILD)/stall_vector.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name stall_vector > $@

# helpers that test a module link it
HELPER_LINK_kdiag_check := group/kdiag.c common/rawsys.c
HELPER_LINK_pintrust_cli := common/pintrust.c common/pinremove.c \
	common/logfile.c common/rawsys.c common/escape.c
HELPER_LIBS_uring_acceptsrv := -luring
HELPER_LIBS_stall_vector := -lbpf
$(BUILD)/helpers/stall_vector: $(BUILD)/stall_vector.skel.h
$(BUILD)/helpers/kdiag_check: $(HELPER_LINK_kdiag_check)
$(BUILD)/helpers/pintrust_cli: $(HELPER_LINK_pintrust_cli)
$(BUILD)/helpers/%: tests/lib/%.c
	$(Q)mkdir -p $(@D) $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) -O2 -g -pthread -MMD -MP \
		-MF $(BUILD)/deps/helper-$*.d -o $@ $< $(HELPER_LINK_$*) $(HELPER_LIBS_$*)

# ---- unit tests: pure logic, ASan + UBSan, each with the sources it tests
$(BUILD)/unit/test_config: common/config.c common/config_rules.c common/config_feat.c \
	common/scope.c common/names.c common/registry_names.c common/escape.c
$(BUILD)/unit/test_config_feat: common/config.c common/config_rules.c common/config_feat.c \
	common/scope.c common/names.c common/registry_names.c common/escape.c
$(BUILD)/unit/test_fdtab: preload/fdtab.c
$(BUILD)/unit/test_maglev: group/maglev.c
$(BUILD)/unit/test_schedule: group/schedule.c
$(BUILD)/unit/test_share: common/share.c common/state.c
$(BUILD)/unit/test_steal_pick: preload/steal_pick.c common/share.c common/state.c
$(BUILD)/unit/test_spec: cli/spec.c cli/args.c
$(BUILD)/unit/test_rawsys: common/rawsys.c preload/real.c
$(BUILD)/unit/test_pintrust: common/pintrust.c common/pinremove.c \
	common/logfile.c common/rawsys.c common/escape.c
$(BUILD)/unit/test_registry: common/registry_names.c common/config.c common/config_rules.c \
	common/config_feat.c common/scope.c common/escape.c
# rp_slot_stalled() itself: the test gives the clock and the pins it reaches
$(BUILD)/unit/test_stall: group/inspect.c common/rawsys.c common/state.c tests/unit/stall_cases.h
UNIT_LIBS_test_stall := -lbpf
$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@ [asan+ubsan])
	$(Q)mkdir -p $(BUILD)/deps
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit -std=gnu11 $(UWARN) $(SAN) -pthread \
		-MMD -MP -MF $(BUILD)/deps/$*.d -o $@ $< $(filter %.c,$(filter-out $<,$^)) \
		$(UNIT_LIBS_$*)

# ---- ThreadSanitizer builds of the interposer and the threaded test server
$(BUILD)/tsan/libreuseport.so: $(SHIM_SRCS) $(COMMON_SRCS) preload/libreuseport.map
	$(Q)mkdir -p $(@D)
	$(call msg,LD,$@ [tsan])
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) -O1 -g -fPIC -fvisibility=hidden -fsanitize=thread -shared \
		-Wl,--version-script=preload/libreuseport.map -o $@ $(SHIM_SRCS) $(COMMON_SRCS) -ldl -lpthread
	$(Q)ln -sf ../libreuseport-steer.so $(BUILD)/tsan/libreuseport-steer.so

$(BUILD)/tsan/threadsrv: tests/lib/threadsrv.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@ [tsan])
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) -O1 -g -fsanitize=thread -pthread -o $@ $<

tsan: $(BUILD)/tsan/libreuseport.so $(BUILD)/tsan/threadsrv

# ---- fuzz the environment parser (libFuzzer + ASan/UBSan); FUZZ_SECONDS=60
FUZZ_SECONDS ?= 30
CONFIG_SRCS := common/config.c common/config_rules.c common/config_feat.c common/scope.c \
	common/registry_names.c common/escape.c
$(BUILD)/fuzz/fuzz_config: tests/unit/fuzz_config.c $(CONFIG_SRCS)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@ [libfuzzer])
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $^

fuzz: $(BUILD)/fuzz/fuzz_config
	$(Q)mkdir -p $(BUILD)/fuzz-corpus
	$(Q)$< -max_total_time=$(FUZZ_SECONDS) -max_len=8192 $(BUILD)/fuzz-corpus

# ---- checks
deps:
	$(Q)scripts/install-deps

unit: $(UNIT_TESTS)
	$(Q)for t in $(UNIT_TESTS); do $$t || exit 1; done

integration: all
	$(Q)tests/run-integration

# The kernel's reuseport selftests, from Debian's linux-source-6.1 (for
# suites/kernel_selftests, which also builds them when needed)
kselftests:
	$(Q)tests/kselftests/build.sh $(BUILD)/kselftests

FORMAT_FILES := $(wildcard bpf/*.c bpf/*.h common/*.[ch] group/*.[ch] preload/*.[ch] \
	cli/*.[ch] cli/*/*.[ch] \
	tests/lib/*.c tests/unit/*.c tests/unit/*.h tests/kselftests/*.h scripts/bench.d/*.c)
SHELL_FILES  := $(wildcard scripts/run-tests scripts/install-deps scripts/demo scripts/bench \
	scripts/bench.d/*.sh scripts/build-deb tests/run-integration tests/integration/*/*.sh tests/lib/*.sh \
	tests/kselftests/*.sh .ci/run contrib/bash-completion/reuseport)

format:
	clang-format -i $(FORMAT_FILES)

check-format:
	$(call msg,FORMAT,clang-format --dry-run)
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

# Every header of bpf/ compiles alone, with what it includes (for the
# program; steer.h and stall.h for user space too). Callbacks and
# subprograms nobody calls here are no error.
check-bpf-headers:
	$(call msg,HEADERS,bpf/*.h)
	$(Q)for h in $(wildcard bpf/*.h); do \
		printf '#include "%s"\n' "$$h" | $(CLANG) $(BPF_CFLAGS) -Wno-unused-function \
			-fsyntax-only -x c - || { echo "$$h: not self-contained"; exit 1; }; \
	done
	$(Q)for h in bpf/steer.h bpf/stall.h; do \
		printf '#include "%s"\n' "$$h" | $(CC) $(CPPFLAGS) -std=gnu11 $(WARN) \
			-fsyntax-only -x c - || { echo "$$h: not self-contained"; exit 1; }; \
	done

shellcheck:
	$(call msg,SHCHECK,$(words $(SHELL_FILES)) scripts)
	$(Q)shellcheck -x -S warning $(SHELL_FILES)

# make check = format + shellcheck + unit + integration (what CI runs)
check: deps
	$(Q)$(MAKE) --no-print-directory check-format shellcheck check-bpf-headers
	$(Q)$(MAKE) --no-print-directory all tsan $(UNIT_TESTS)
	$(Q)scripts/run-tests

test: check

# The unit tests and the integration tests not marked slow (tests/README.md):
# a few minutes, for the edit-build-test loop. make test runs everything.
test-fast:
	$(Q)$(MAKE) --no-print-directory all tsan $(UNIT_TESTS)
	$(Q)scripts/run-tests --fast

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench

# The command finds libreuseport.so beside itself, in ../lib/$(MULTIARCH) or
# in ../lib: keep LIBDIR one of these for `reuseport run` without --lib.
install: products
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPDIR)
	install -m 0644 $(BUILD)/libreuseport.so $(BUILD)/libreuseport-steer.so $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(BUILD)/reuseport $(DESTDIR)$(BINDIR)/
	install -m 0644 docs/man/libreuseport.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 docs/man/reuseport.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 contrib/bash-completion/reuseport $(DESTDIR)$(COMPDIR)/reuseport

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libreuseport.so $(DESTDIR)$(LIBDIR)/libreuseport-steer.so \
		$(DESTDIR)$(BINDIR)/reuseport $(DESTDIR)$(MANDIR)/man7/libreuseport.7 \
		$(DESTDIR)$(MANDIR)/man8/reuseport.8 $(DESTDIR)$(COMPDIR)/reuseport

# A Debian package (dpkg-buildpackage, debian/) into $(BUILD)/deb/, built
# from a copy of the tree so this one stays clean.
deb:
	$(Q)BUILD=$(BUILD) scripts/build-deb

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/deps -name '*.d' 2>/dev/null)
