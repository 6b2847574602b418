# libreuseport: make | make test | make demo | make bench | make install
# Quiet by default; V=1 shows the commands.

BUILD    ?= build
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
BINDIR   ?= $(PREFIX)/bin
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH_INC := -I/usr/include/$(shell $(CC) -dumpmachine)

# snprintf truncation is by design: pin paths are bounded (pin dir <= 200 chars).
WARN     := -Wall -Wextra -Werror
UWARN    := $(WARN) -Wno-format-truncation
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Ibpf -Ipreload -I$(BUILD)
BASE     := -std=gnu11 $(UWARN) -fPIC -fvisibility=hidden $(CFLAGS)
SAN      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: fuzz tsan all test unit integration demo bench install uninstall clean format deps check-format

PRELOAD_SRCS := preload/hooks.c preload/shim.c preload/real.c preload/fdtab.c \
                preload/config.c preload/log.c
STEER_SRCS   := preload/group.c preload/steer_api.c preload/config.c preload/log.c
CLI_SRCS     := preload/cli.c preload/run.c preload/group.c preload/config.c preload/log.c
HDRS         := $(wildcard preload/*.h) bpf/steer.h
HELPERS      := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(wildcard tests/helpers/*.c))

all: $(BUILD)/libreuseport.so $(BUILD)/libreuseport-steer.so $(BUILD)/reuseport $(HELPERS)

$(BUILD) $(BUILD)/helpers $(BUILD)/unit:
	$(Q)mkdir -p $@

$(BUILD)/steer.bpf.o: bpf/steer.bpf.c bpf/steer.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -O2 -g -target bpf -mcpu=v3 -D__BPF__ $(ARCH_INC) -Ibpf $(WARN) -c $< -o $@

$(BUILD)/steer.skel.h: $(BUILD)/steer.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name steer_bpf > $@

# The interposer links only libc: processes that never listen pay no libbpf.
$(BUILD)/libreuseport.so: $(PRELOAD_SRCS) $(HDRS) preload/libreuseport.map | $(BUILD)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(BASE) -shared -Wl,--version-script=preload/libreuseport.map \
		-o $@ $(PRELOAD_SRCS) -ldl -lpthread

$(BUILD)/libreuseport-steer.so: $(STEER_SRCS) $(HDRS) $(BUILD)/steer.skel.h preload/libreuseport-steer.map
	$(call msg,LD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(BASE) -shared -Wl,--version-script=preload/libreuseport-steer.map \
		-Wl,-z,now -o $@ $(STEER_SRCS) -lbpf

$(BUILD)/reuseport: $(CLI_SRCS) $(HDRS) $(BUILD)/steer.skel.h
	$(call msg,LD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(BASE) -fPIE -pie -o $@ $(CLI_SRCS) -lbpf

$(BUILD)/helpers/%: tests/helpers/%.c | $(BUILD)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) -O2 -g -pthread -o $@ $< 

$(BUILD)/unit/test_config: tests/unit/test_config.c preload/config.c preload/config.h tests/unit/unit.h | $(BUILD)/unit
	$(call msg,CC,$@ [asan+ubsan])
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) $(SAN) -o $@ tests/unit/test_config.c preload/config.c

# ThreadSanitizer builds of the interposer and the threaded test server.
$(BUILD)/tsan:
	$(Q)mkdir -p $@

$(BUILD)/tsan/libreuseport.so: $(PRELOAD_SRCS) $(HDRS) preload/libreuseport.map | $(BUILD)/tsan
	$(call msg,LD,$@ [tsan])
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) -O1 -g -fPIC -fvisibility=hidden -fsanitize=thread -shared \
		-Wl,--version-script=preload/libreuseport.map -o $@ $(PRELOAD_SRCS) -ldl -lpthread
	$(Q)ln -sf ../libreuseport-steer.so $(BUILD)/tsan/libreuseport-steer.so

$(BUILD)/tsan/threadsrv: tests/helpers/threadsrv.c | $(BUILD)/tsan
	$(call msg,CC,$@ [tsan])
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) -O1 -g -fsanitize=thread -pthread -o $@ $<

tsan: $(BUILD)/tsan/libreuseport.so $(BUILD)/tsan/threadsrv

# Fuzz the environment parser (libFuzzer + ASan/UBSan); FUZZ_SECONDS=60.
FUZZ_SECONDS ?= 30
$(BUILD)/unit/fuzz_config: tests/unit/fuzz_config.c preload/config.c preload/config.h | $(BUILD)/unit
	$(call msg,CC,$@ [libfuzzer])
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ tests/unit/fuzz_config.c preload/config.c

fuzz: $(BUILD)/unit/fuzz_config
	$(Q)mkdir -p $(BUILD)/fuzz-corpus
	$(Q)$(BUILD)/unit/fuzz_config -max_total_time=$(FUZZ_SECONDS) -max_len=8192 $(BUILD)/fuzz-corpus

deps:
	$(Q)scripts/install-deps

$(BUILD)/unit/test_fdtab: tests/unit/test_fdtab.c preload/fdtab.c preload/fdtab.h tests/unit/unit.h | $(BUILD)/unit
	$(call msg,CC,$@ [asan+ubsan])
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(UWARN) $(SAN) -pthread -o $@ tests/unit/test_fdtab.c preload/fdtab.c

UNIT_TESTS := $(BUILD)/unit/test_config $(BUILD)/unit/test_fdtab

unit: $(UNIT_TESTS)
	$(Q)for t in $(UNIT_TESTS); do $$t || exit 1; done

integration: all
	$(Q)tests/run-integration

test: deps
	$(Q)$(MAKE) --no-print-directory all tsan $(UNIT_TESTS)
	$(Q)scripts/run-tests

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILD)/libreuseport.so $(BUILD)/libreuseport-steer.so $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(BUILD)/reuseport $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libreuseport.so $(DESTDIR)$(LIBDIR)/libreuseport-steer.so $(DESTDIR)$(BINDIR)/reuseport

format:
	clang-format -i bpf/*.c bpf/*.h preload/*.c preload/*.h tests/helpers/*.c tests/unit/*.c tests/unit/*.h

check-format:
	clang-format --dry-run --Werror bpf/*.c bpf/*.h preload/*.c preload/*.h tests/helpers/*.c tests/unit/*.c tests/unit/*.h

clean:
	rm -rf $(BUILD)
