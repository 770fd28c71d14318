# amana: signed, encrypted conference bundles.
#
# make            build build/amana
# make check      build and run every test; ends with "N passed, N failed"
# make demo       install missing build dependencies, build, run the story of the 24th conference
# make asan       the whole check under AddressSanitizer + UndefinedBehaviorSanitizer
# make fuzz       build the libFuzzer targets with clang and run each for FUZZ_TIME seconds
# make bench      side-by-side timings against the stock tools (never part of check)
# make bench-search  search recall and precision (tests/search), and timings over 100,000 records
# make install    PREFIX (default /usr/local) and DESTDIR are honoured
#
# CC and CFLAGS belong to the user; the project's own flags live in AMANA_*.

CC      ?= cc
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BUILD   ?= build
FUZZ_TIME ?= 30
BENCH_SIZE ?= 1073741824

VERSION := 0.1.0
PKGS    := libsodium libarchive sqlite3

# pkg-config is asked lazily so that "make demo" can install what is missing first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

AMANA_WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2 -Wno-format-nonliteral
AMANA_HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
AMANA_CPPFLAGS := -D_GNU_SOURCE -DAMANA_VERSION='"$(VERSION)"' -I. -I$(BUILD) -MMD -MP
AMANA_LDFLAGS := -pie -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
AMANA_WARN += -Werror
endif

ALL_CFLAGS  = $(AMANA_CPPFLAGS) $(AMANA_WARN) $(AMANA_HARDEN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(AMANA_LDFLAGS) $(LDFLAGS)

CORE_SRC := $(sort $(wildcard vault/*.c) $(wildcard keys/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
SCHEMAS  := $(sort $(wildcard schema/*.sql))
SCHEMA_C := $(patsubst schema/%.sql,$(BUILD)/schema/%_sql.c,$(SCHEMAS))

CORE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC)) $(SCHEMA_C:.c=.o)
CLI_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC))
LIB      := $(BUILD)/libamana.a

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all check unit demo asan fuzz fuzz-build bench bench-search install uninstall clean deps deps-check
.DELETE_ON_ERROR:

all: $(BUILD)/amana

# Fails early, naming the Debian package to install, when a library is missing.
$(BUILD)/.deps-ok: tests/tools/deps.sh
	@sh tests/tools/deps.sh check
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# schema/*.sql become C byte arrays (od and sed are on every fresh machine; xxd may not be).
$(BUILD)/schema/%_sql.c: schema/%.sql
	@mkdir -p $(@D)
	@{ printf '/* generated from %s by the Makefile; do not edit */\n' '$<'; \
	   printf 'const char schema_%s_sql[] = {\n' '$*'; \
	   od -An -v -tx1 $< | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   printf '0x00};\n'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/schema/%_sql.o: $(BUILD)/schema/%_sql.c
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/amana: $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BIN)

# Recall and precision of records --search on the judged query set of tests/search.
SEARCH_EVAL := $(BUILD)/tests/search/eval
$(SEARCH_EVAL): tests/search/eval.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# The whole suite: C unit tests, bats CLI tests, interop tests against the stock tools,
# and the fuzz regression corpus. The last line is "N passed, N failed".
check: deps $(BUILD)/amana $(UNIT_BIN) $(BUILD)/tests/fuzz/replay $(SEARCH_EVAL)
	@AMANA=$(abspath $(BUILD)/amana) BUILD=$(abspath $(BUILD)) sh tests/tools/run-tests.sh

# Replays every fuzz regression input through every fuzz target without libFuzzer.
$(BUILD)/tests/fuzz/targets.h: $(FUZZ_SRC) Makefile
	@mkdir -p $(@D)
	@{ printf '#define FUZZ_TARGETS'; for f in $(FUZZ_SRC); do n=$${f##*/fuzz_}; \
	   printf ' X(%s)' "$${n%.c}"; done; echo; } > $@
$(BUILD)/tests/fuzz/replay: $(FUZZ_SRC) tests/fuzz/replay.c tests/fuzz/fuzz.h $(BUILD)/tests/fuzz/targets.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(ALL_LDFLAGS) -o $@ tests/fuzz/replay.c $(FUZZ_SRC) \
		$(LIB) $(PKG_LIBS)

deps:
	@sh tests/tools/deps.sh install

demo: deps $(BUILD)/amana
	@AMANA=$(abspath $(BUILD)/amana) sh docs/examples/conference-24/demo.sh

# ASan + UBSan over the whole suite, in its own build folder.
asan:
	$(MAKE) BUILD=build-asan CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" AMANA_ASAN=1 check

FUZZ_BIN := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS = $(AMANA_CPPFLAGS) -std=c11 $(PKG_CFLAGS) -O1 -g
build-fuzz/lib/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
FUZZ_LIB_OBJ := $(patsubst %.c,build-fuzz/lib/%.o,$(CORE_SRC)) \
	$(patsubst $(BUILD)/schema/%.c,build-fuzz/lib/schema/%.o,$(SCHEMA_C))
build-fuzz/lib/schema/%.o: $(BUILD)/schema/%.c
	@mkdir -p $(@D)
	clang -c $< -o $@
build-fuzz/libamana.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
build-fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h build-fuzz/libamana.a
	clang $(FUZZ_CFLAGS) -DAMANA_FUZZ_LIBFUZZER -fsanitize=fuzzer,address,undefined \
		-o $@ $< build-fuzz/libamana.a $(PKG_LIBS)
fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) sh tests/tools/fuzz.sh $(FUZZ_BIN)

$(BUILD)/bench/ceiling: tests/bench/ceiling.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS) -lpthread

bench: deps $(BUILD)/amana $(BUILD)/bench/ceiling $(SEARCH_EVAL) $(BUILD)/bench/search_query
	@AMANA=$(abspath $(BUILD)/amana) CEILING=$(abspath $(BUILD)/bench/ceiling) \
		EVAL=$(abspath $(SEARCH_EVAL)) SEARCH_QUERY=$(abspath $(BUILD)/bench/search_query) \
		BENCH_SIZE=$(BENCH_SIZE) sh tests/bench/bench.sh

$(BUILD)/bench/search_query: tests/bench/search_query.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

bench-search: deps $(BUILD)/amana $(SEARCH_EVAL) $(BUILD)/bench/search_query
	@AMANA=$(abspath $(BUILD)/amana) EVAL=$(abspath $(SEARCH_EVAL)) \
		SEARCH_QUERY=$(abspath $(BUILD)/bench/search_query) sh tests/bench/search.sh

install: $(BUILD)/amana
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/amana $(DESTDIR)$(BINDIR)/amana
	install -m 0644 docs/amana.1 $(DESTDIR)$(MANDIR)/man1/amana.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/amana $(DESTDIR)$(MANDIR)/man1/amana.1

clean:
	rm -rf build build-asan build-fuzz

-include $(CORE_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
