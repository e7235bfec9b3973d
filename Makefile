# mpikit: build the library, the jobs and the tests out of tree into $(BUILD).
#   make            build everything          make test        run every test
#   make demo       install deps, run wordcount on the Shakespeare corpus
#   make install PREFIX=/usr/local DESTDIR=   make clean
#   make test SANITIZE=1   the same tests under ASan+UBSan (build/asan)
#   make FAULTS=1          the fault-injection build (build/fault, include/mpikit/fault.h)
#   make lesson NAME=hello [SRC=file.c]   check a lesson (lessons/); make lessons: all of them
# Sources are discovered: src/*.c -> libmpikit.a, jobs/*.c -> one program each,
# tests/unit/test_*.c -> one cmocka binary each. Adding a file needs no edit here.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
MPICC     ?= mpicc
SANITIZE  ?= 0
FAULTS    ?= 0
WERROR    ?= 0
CFLAGS    ?= -O2 -g
MPIRUN_NP ?= 2

ifeq ($(SANITIZE),1)
BUILD     ?= build/asan
else ifeq ($(FAULTS),1)
BUILD     ?= build/fault
else
BUILD     ?= build
endif

# CC chooses the compiler behind the MPI wrapper when the user sets it.
ifneq ($(origin CC),default)
export OMPI_CC := $(CC)
endif

PKG_CFLAGS := $(shell pkg-config --cflags hdf5-openmpi 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs hdf5-openmpi 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif
SANFLAGS :=
ifeq ($(SANITIZE),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

ALL_CFLAGS  := -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
               -DMK_VERSION='"$(VERSION)"' -Iinclude $(PKG_CFLAGS) -MMD -MP
ifeq ($(FAULTS),1)
# The fault build (include/mpikit/fault.h): failure points that tests can trigger by name.
ALL_CFLAGS += -DMK_FAULTS
endif
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)
LIBS        := $(PKG_LIBS) -lm

LIB_SRC  := $(sort $(wildcard src/*.c))
JOB_SRC  := $(sort $(wildcard jobs/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/src/%.o)
JOB_BIN  := $(JOB_SRC:jobs/%.c=$(BUILD)/bin/%)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
LIBA     := $(BUILD)/lib/libmpikit.a

# Keep objects of jobs and tests: they are intermediates of a pattern chain.
.SECONDARY:

.PHONY: all lib jobs tests test test-full test-unit test-jobs test-slurm demo corpus install uninstall clean bench bench-report \
        deps help fuzz fuzz-smoke lint valgrind
all: lib jobs

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'

lib: $(LIBA)
jobs: $(JOB_BIN)
tests: all $(UNIT_BIN) $(TOOL_BIN)

$(BUILD)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/jobs/%.o: jobs/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

$(BUILD)/obj/tools/%.o: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tests/tools/%: $(BUILD)/obj/tools/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_LDFLAGS) $< $(LIBA) $(LIBS) -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/jobs/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_LDFLAGS) $< $(LIBA) $(LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_LDFLAGS) $< $(LIBA) $(LIBS) $(CMOCKA_LIBS) -o $@

# The test runner prints one line per test and ends with "N passed, N failed". The job suites
# run TEST_JOBS (default 2) at a time, their exhaustive matrices sampled with a printed seed
# (MPIKIT_TEST_SEED=N replays it); TESTS="NAME..." runs the tests whose names contain a NAME.
test: tests
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh $(TESTS)

# The exhaustive matrices that make test samples (every bad argument, every signal at every rank count).
test-full: tests
	@MPIKIT_TEST_FULL=1 BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh $(TESTS)

test-unit: tests
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh unit

test-jobs: tests
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh jobs

# SLURM: brings up a local cluster (root; installs slurmctld/slurmd/munge when missing).
test-slurm: all
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/slurm/run.sh

deps:
	scripts/install-deps.sh

# make demo: install what is missing, build, run wordcount on 2 ranks.
demo:
	scripts/install-deps.sh
	$(MAKE) all
	BUILD=$(BUILD) scripts/demo.sh $(MPIRUN_NP)

corpus:
	scripts/fetch-corpus.sh data

# make bench: every benchmark via bench/run.sh (~35 min; QUICK=1 for a smoke run, REPS=N);
# make bench BENCH="wordcount pool" for some. Results: bench/results/<date>-<host>.csv.
BENCH ?=
bench: all
	bench/run.sh $(BENCH)

# make bench-report: regenerate docs/benchmarks.md and docs/img/*.png from the newest
# bench/results/*.csv (or RESULTS=file).
RESULTS ?=
bench-report:
	bench/report.sh $(RESULTS)

# ---- Lessons (lessons/, docs/learning-path.md) ----------------------------------------------
# make lesson NAME=square [SRC=file.c]  build SRC (default: the lesson's exercise.c) with
#     -Wall -Wextra -Wpedantic -Werror, run it at 1, 2, 3, 4 and 7 ranks against a reference,
#     print SUCCESS or one line saying what is wrong; exit 0 only on SUCCESS.
# make lessons  every lesson's solution.c passes and every untouched exercise.c fails.
.PHONY: lesson lessons
LESSON_ENV = BUILD=$(BUILD) MPICC="$(MPICC)" LESSON_CFLAGS="$(CFLAGS) $(SANFLAGS)"
lesson:
	@$(LESSON_ENV) lessons/check.sh "$(NAME)" $(SRC)
lessons:
	@$(LESSON_ENV) lessons/check.sh --all

# Hardening (docs/reliability.md). Fuzzers are built with clang into build/fuzz.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)
fuzz-smoke:
	scripts/fuzz.sh 20

# Static analysis (cppcheck, clang-tidy with .clang-tidy, shellcheck) and Valgrind memcheck.
lint:
	scripts/lint.sh
valgrind: tests
	BUILD=$(BUILD) scripts/valgrind.sh

# ---- the shared library and make install / uninstall (docs/install.md) ------------------------
# libmpikit.so is built from its own position-independent objects ($(BUILD)/obj/pic), so the
# static library and the programs linked with it are the same as without it. Its soname carries
# the major version: a program linked today keeps loading libmpikit.so.$(SOVERSION).
# make install PREFIX=... DESTDIR=...: the programs as mpikit-NAME in bin/ (build/bin keeps the
# short names), libmpikit.a and .so in lib/, the headers in include/mpikit/, lib/pkgconfig/mpikit.pc
# (from mpikit.pc.in: `pkg-config --cflags --libs mpikit` is all an outside program needs, MPI
# and HDF5 included) and a man page per program, generated from its --help by help2man
# (scripts/man-page.sh). make uninstall with the same variables removes exactly those files.
SOVERSION  := $(firstword $(subst ., ,$(VERSION)))
LIB_PIC    := $(LIB_SRC:src/%.c=$(BUILD)/obj/pic/src/%.o)
LIBSO_REAL := $(BUILD)/lib/libmpikit.so.$(VERSION)
LIBSO      := $(BUILD)/lib/libmpikit.so
JOB_NAMES  := $(JOB_SRC:jobs/%.c=%)
MAN_PAGES  := $(JOB_NAMES:%=$(BUILD)/man/mpikit-%.1) $(BUILD)/man/mktrace.1
INST_BIN   := $(DESTDIR)$(PREFIX)/bin
INST_LIB   := $(DESTDIR)$(PREFIX)/lib
INST_INC   := $(DESTDIR)$(PREFIX)/include/mpikit
INST_MAN   := $(DESTDIR)$(PREFIX)/share/man/man1
HEADERS    := $(notdir $(wildcard include/mpikit/*.h))

.PHONY: shared man
all: shared
shared: $(LIBSO)
man: $(MAN_PAGES)
# make tests writes the man pages where help2man is installed (not under ASan: slow starts), so
# tests/jobs/install.sh only copies them (each page starts its program twice, MPI included).
ifneq ($(shell command -v help2man 2>/dev/null),)
ifneq ($(SANITIZE),1)
tests: man
endif
endif

$(BUILD)/obj/pic/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(LIBSO_REAL): $(LIB_PIC)
	@mkdir -p $(dir $@)
	$(MPICC) -shared -Wl,-soname,libmpikit.so.$(SOVERSION) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(LIBSO): $(LIBSO_REAL)
	ln -sf libmpikit.so.$(VERSION) $(BUILD)/lib/libmpikit.so.$(SOVERSION)
	ln -sf libmpikit.so.$(SOVERSION) $@

$(BUILD)/man/mpikit-%.1: $(BUILD)/bin/% scripts/man-page.sh
	@mkdir -p $(dir $@)
	scripts/man-page.sh $< mpikit-$* $@

$(BUILD)/man/mktrace.1: $(BUILD)/bin/mktrace scripts/man-page.sh
	@mkdir -p $(dir $@)
	scripts/man-page.sh $< mktrace $@

install: all man
	install -d $(INST_BIN) $(INST_LIB)/pkgconfig $(INST_INC) $(INST_MAN)
	for j in $(JOB_NAMES); do install -m 0755 $(BUILD)/bin/$$j $(INST_BIN)/mpikit-$$j || exit 1; done
	install -m 0644 $(LIBA) $(INST_LIB)/
	install -m 0755 $(LIBSO_REAL) $(INST_LIB)/
	ln -sf libmpikit.so.$(VERSION) $(INST_LIB)/libmpikit.so.$(SOVERSION)
	ln -sf libmpikit.so.$(SOVERSION) $(INST_LIB)/libmpikit.so
	install -m 0644 $(HEADERS:%=include/mpikit/%) $(INST_INC)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' mpikit.pc.in >$(BUILD)/mpikit.pc
	install -m 0644 $(BUILD)/mpikit.pc $(INST_LIB)/pkgconfig/mpikit.pc
	install -m 0644 $(MAN_PAGES) $(INST_MAN)/

uninstall:
	rm -f $(JOB_NAMES:%=$(INST_BIN)/mpikit-%)
	rm -f $(INST_LIB)/libmpikit.a $(INST_LIB)/libmpikit.so $(INST_LIB)/libmpikit.so.$(SOVERSION) \
	    $(INST_LIB)/libmpikit.so.$(VERSION) $(INST_LIB)/pkgconfig/mpikit.pc
	rm -f $(HEADERS:%=$(INST_INC)/%) $(MAN_PAGES:$(BUILD)/man/%=$(INST_MAN)/%)
	rmdir $(INST_INC) 2>/dev/null || true

-include $(LIB_PIC:.o=.d)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(JOB_SRC:jobs/%.c=$(BUILD)/obj/jobs/%.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/obj/tests/%.d) \
         $(TOOL_SRC:tests/tools/%.c=$(BUILD)/obj/tools/%.d)

# ---- the tracer (issue 18, docs/tracing.md): libmpikit-trace.so and the mktrace launcher ----
# src/trace/ is a subdirectory, so nothing of it enters libmpikit.a (src/*.c). Its MPI-free
# core (no mpi.h) is linked into tests/unit/test_trace_*.c; the wrappers and the session need
# MPI. Objects are position-independent, symbols hidden except the MPI_* wrappers.
TRACE_CORE     := funcs map buffer blob clock model json svg summary output
TRACE_MPI      := runtime session wrap_p2p wrap_coll wrap_misc
TRACE_CORE_OBJ := $(TRACE_CORE:%=$(BUILD)/obj/trace/%.o)
TRACE_MPI_OBJ  := $(TRACE_MPI:%=$(BUILD)/obj/trace/%.o)
TRACE_SO       := $(BUILD)/lib/libmpikit-trace.so
MKTRACE        := $(BUILD)/bin/mktrace
TRACE_CFLAGS   := -fPIC -fvisibility=hidden
ifeq ($(SANITIZE),1)
# mktrace preloads the sanitizer runtime first: it must come before the (instrumented) tracer.
$(BUILD)/obj/trace/mktrace.o: TRACE_CFLAGS += -DMKT_PRELOAD_FIRST='"$(shell $(MPICC) -print-file-name=libasan.so)"'
endif

.PHONY: trace timelines install-trace uninstall-trace
all: trace
trace: $(TRACE_SO) $(MKTRACE)

$(BUILD)/obj/trace/%.o: src/trace/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) $(TRACE_CFLAGS) -c $< -o $@

$(TRACE_SO): $(TRACE_CORE_OBJ) $(TRACE_MPI_OBJ)
	@mkdir -p $(dir $@)
	$(MPICC) -shared $(ALL_LDFLAGS) $^ -lpthread -lm -o $@

$(MKTRACE): $(BUILD)/obj/trace/mktrace.o $(TRACE_CORE_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_LDFLAGS) $^ -lpthread -lm -o $@

# The core's unit tests link its objects (a shorter stem than $(BUILD)/tests/%: this rule wins).
$(BUILD)/tests/test_trace_%: $(BUILD)/obj/tests/test_trace_%.o $(TRACE_CORE_OBJ)
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_LDFLAGS) $^ $(CMOCKA_LIBS) -lpthread -lm -o $@

# make timelines: trace programs into $(BUILD)/timelines/NAME/ (scripts/timelines.sh --help).
# TIMELINES names recipes (pool-static, pool-dynamic, wordcount, ...) or executables (run with
# no arguments on TIMELINE_NP ranks); empty: every job recipe. TIMELINE_DOCS=1 also refreshes
# the SVGs that docs/tracing.md shows (docs/img/timeline-*.svg).
TIMELINES     ?=
TIMELINE_NP   ?= 4
TIMELINE_DOCS ?= 0
timelines: all
	BUILD=$(BUILD) TIMELINE_NP=$(TIMELINE_NP) TIMELINE_DOCS=$(TIMELINE_DOCS) scripts/timelines.sh $(TIMELINES)

install: install-trace
install-trace: trace
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib
	install -m 0755 $(MKTRACE) $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(TRACE_SO) $(DESTDIR)$(PREFIX)/lib/
uninstall: uninstall-trace
uninstall-trace:
	rm -f $(DESTDIR)$(PREFIX)/bin/mktrace $(DESTDIR)$(PREFIX)/lib/libmpikit-trace.so

-include $(TRACE_CORE_OBJ:.o=.d) $(TRACE_MPI_OBJ:.o=.d) $(BUILD)/obj/trace/mktrace.d

# ---- the simulated build (issue 20, docs/scaling.md): make SIM=1 -> build/sim/ ----------------
# The library and the jobs compiled with SimGrid's smpicc, to run under smpirun on a simulated
# platform (sim/platforms/). Its own obj/bin/lib dirs; the normal build is untouched. Parallel
# HDF5 is not built for SMPI: src/sim/h5_none.c replaces src/h5.c (every mk_h5_* call fails
# with one clear message). src/sim/smpi_compat.h is force-included (-include) into every SIM
# object: it carries the workarounds for what SMPI lacks, so no job needs an #ifdef.
# Not built: datagen (HDF5 only) and spawn (SMPI has no MPI_Comm_spawn).
SIM         ?= 0
SMPICC      ?= smpicc
SIM_BUILD   := build/sim
SIM_SKIP    := datagen spawn
SIM_LIB_SRC := $(filter-out src/h5.c,$(LIB_SRC)) $(sort $(wildcard src/sim/*.c))
SIM_LIB_OBJ := $(SIM_LIB_SRC:%.c=$(SIM_BUILD)/obj/%.o)
SIM_LIBA    := $(SIM_BUILD)/lib/libmpikit.a
SIM_BIN     := $(filter-out $(SIM_SKIP:%=$(SIM_BUILD)/bin/%),$(JOB_SRC:jobs/%.c=$(SIM_BUILD)/bin/%))
# hdf5.h for its types only; never Open MPI's mpi.h (smpicc puts SMPI's first, but be sure).
SIM_H5_CFLAGS := $(filter-out %/openmpi/include %/openmpi/include/openmpi,$(PKG_CFLAGS))
SIM_CFLAGS  := -std=c11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DMK_VERSION='"$(VERSION)"' \
               -DMK_SIM -include src/sim/smpi_compat.h -Iinclude $(SIM_H5_CFLAGS) -MMD -MP
HAVE_SMPICC := $(shell command -v $(SMPICC) 2>/dev/null)

.PHONY: sim
sim: $(SIM_LIBA) $(SIM_BIN)
ifeq ($(SIM),1)
.DEFAULT_GOAL := sim
endif
# make tests (and so make test) builds the simulated jobs when SimGrid is installed.
ifneq ($(HAVE_SMPICC),)
tests: sim
endif

$(SIM_BUILD)/obj/%.o: %.c src/sim/smpi_compat.h
	@mkdir -p $(dir $@)
	$(SMPICC) $(SIM_CFLAGS) -c $< -o $@

$(SIM_LIBA): $(SIM_LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SIM_BUILD)/bin/%: $(SIM_BUILD)/obj/jobs/%.o $(SIM_LIBA)
	@mkdir -p $(dir $@)
	$(SMPICC) $(LDFLAGS) $< $(SIM_LIBA) -lm -o $@

-include $(SIM_LIB_OBJ:.o=.d) $(SIM_BIN:$(SIM_BUILD)/bin/%=$(SIM_BUILD)/obj/jobs/%.d)
