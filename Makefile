# SPDX-License-Identifier: MIT
# Makefile - builds knotd, knotctl and the virtual massager; `make check` and `make demo` do all set-up.
VERSION := 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/knotd
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
# The package's settings and profiles (replaced by every upgrade) and the
# admin's own, which win, file by file (knotd(8), FILES).
PKGDATADIR ?= $(DATADIR)/knotd
CONFDIR ?= $(SYSCONFDIR)/knotd
DESTDIR ?=
# Where systemd and udev look, as their pkg-config files say (absolute paths,
# whatever PREFIX: a unit under /usr/local is never found); the fallbacks are
# Debian 12's answers, for a machine without systemd-dev or udev's .pc file.
# Recursive, so pkg-config runs only for install and uninstall.
pc_var = $(or $(shell $(PKG_CONFIG) --variable=$(2) $(1) 2>/dev/null),$(3))
UNITDIR ?= $(call pc_var,systemd,systemdsystemunitdir,/lib/systemd/system)
SYSUSERSDIR ?= $(call pc_var,systemd,sysusersdir,/usr/lib/sysusers.d)
UDEVDIR ?= $(call pc_var,udev,udevdir,/lib/udev)/rules.d
COMPLETIONDIR ?= $(call pc_var,bash-completion,completionsdir,/usr/share/bash-completion/completions)

CC ?= cc
PKG_CONFIG ?= pkg-config
# The builder's flags (dpkg-buildflags --export=sh, a distribution's hardening):
# CPPFLAGS and CFLAGS reach every compile line, CFLAGS and LDFLAGS every link
# line, after the project's own so that the builder's win.
CPPFLAGS ?=
CFLAGS ?= -O2 -g
LDFLAGS ?=

# SANITIZE=1: AddressSanitizer + UBSan build in its own tree.
ifeq ($(SANITIZE),1)
B := build/asan
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B := build
SAN :=
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
KNOT_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude -DKNOT_VERSION='"$(VERSION)"' \
	-DKNOT_PKGDATADIR='"$(PKGDATADIR)"' -DKNOT_CONFDIR='"$(CONFDIR)"' -MMD -MP $(SAN)
KNOT_LDFLAGS = $(SAN)

# Recursive (=) so pkg-config runs only when a recipe needs it: after scripts/deps.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs = $(shell $(PKG_CONFIG) --libs $(1))
DAEMON_PKGS := libusb-1.0 libevent json-c inih libconfig libsystemd
CLI_PKGS := json-c
SIM_PKGS := umockdev-1.0 glib-2.0
USB_PKGS := libusb-1.0
CMOCKA_PKGS := cmocka

DAEMON_SRCS := $(sort $(wildcard daemon/*.c))
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o)
CLI_SRCS := $(sort $(wildcard cli/*.c))
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)

SIM_SRCS := sim/main.c sim/usbfs.c sim/ctl.c sim/scene.c sim/trace.c sim/device.c
SIM_OBJS := $(SIM_SRCS:%.c=$(B)/%.o)

# One cmocka binary per tests/unit/test_*.c; tests/run expects every one of them.
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(sort $(wildcard tests/unit/test_*.c)))
TEST_BINS := $(UNIT_TESTS:%=$(B)/tests/%) $(B)/tests/knot-usbtest $(B)/tests/libknot-wallclock.so

.PHONY: all tests check check-build demo try bench clean install deps mutate soak prove
all: $(B)/knotd $(B)/knotctl $(B)/knot-sim
tests: $(TEST_BINS)

# The paths compiled in: the stamp changes only when PKGDATADIR or CONFDIR
# does, so that `make` then `make install PREFIX=/usr` rebuilds what uses them.
$(B)/paths.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PKGDATADIR) $(CONFDIR)' | cmp -s - $@ 2>/dev/null || echo '$(PKGDATADIR) $(CONFDIR)' > $@
$(B)/daemon/main.o $(B)/daemon/config.o $(B)/cli/doctor.o: $(B)/paths.stamp
.PHONY: FORCE
FORCE:

$(B)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(KNOT_CFLAGS) -Idaemon $(call pc_cflags,$(DAEMON_PKGS)) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/knotd: $(DAEMON_OBJS)
	$(CC) $(KNOT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DAEMON_PKGS))

$(B)/cli/%.o: cli/%.c
	@mkdir -p $(@D)
	$(CC) $(KNOT_CFLAGS) -Icli $(call pc_cflags,$(CLI_PKGS)) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/knotctl: $(CLI_OBJS)
	$(CC) $(KNOT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CLI_PKGS))

$(B)/sim/%.o: sim/%.c
	@mkdir -p $(@D)
	$(CC) $(KNOT_CFLAGS) -Isim $(call pc_cflags,$(SIM_PKGS)) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/knot-sim: $(SIM_OBJS)
	$(CC) $(KNOT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(SIM_PKGS))

$(B)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(KNOT_CFLAGS) -Isim -Idaemon $(call pc_cflags,$(CMOCKA_PKGS) libconfig json-c) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# What each unit test links besides its own object.
$(B)/tests/test_device: $(B)/sim/device.o
$(B)/tests/test_profile: $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o
$(B)/tests/test_session: $(B)/daemon/session.o $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o
$(B)/tests/test_drive: $(B)/daemon/drive.o $(B)/daemon/advice.o $(B)/daemon/session.o $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o
$(B)/tests/test_loop: $(B)/daemon/drive.o $(B)/daemon/advice.o $(B)/daemon/session.o $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o $(B)/sim/device.o
$(B)/tests/test_config: $(B)/daemon/config.o $(B)/daemon/log.o $(B)/daemon/textfile.o
$(B)/tests/test_notifymsg: $(B)/daemon/notifymsg.o
$(B)/tests/test_idle: $(B)/daemon/idle.o
$(B)/tests/test_rest: $(B)/daemon/rest.o $(B)/daemon/timeline.o $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o
$(B)/tests/test_care: $(B)/daemon/care.o $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o
$(B)/tests/test_timeline: $(B)/daemon/timeline.o $(B)/daemon/care.o $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o
$(B)/tests/test_journal: $(B)/daemon/journal.o $(B)/daemon/jline.o $(B)/daemon/care.o $(B)/daemon/log.o $(B)/daemon/session.o $(B)/daemon/profile.o $(B)/daemon/textfile.o $(B)/daemon/utf8.o
$(B)/tests/test_request: $(B)/daemon/request.o $(B)/daemon/utf8.o
$(B)/tests/test_jline: $(B)/daemon/jline.o
$(B)/tests/test_words: $(B)/cli/words.o
$(B)/tests/test_side: $(B)/cli/side.o $(B)/cli/jv.o $(B)/cli/words.o
$(B)/tests/test_sig: $(B)/cli/sig.o
$(B)/tests/test_args: $(B)/cli/args.o
$(B)/tests/test_chart: $(B)/cli/chart.o
$(B)/tests/test_admit: $(B)/daemon/admit.o

$(B)/tests/test_%: $(B)/tests/test_%.o
	$(CC) $(KNOT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CMOCKA_PKGS) libconfig inih json-c)

$(B)/tests/knot-usbtest.o: tests/knot-usbtest.c
	@mkdir -p $(@D)
	$(CC) $(KNOT_CFLAGS) $(call pc_cflags,$(USB_PKGS)) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tests/knot-usbtest: $(B)/tests/knot-usbtest.o
	$(CC) $(KNOT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(USB_PKGS))

# The scenario tests' wall clock (tests/knot-wallclock.c): preloaded into any
# process a test starts (sh and tmux too), so never built with the sanitizers.
$(B)/tests/libknot-wallclock.so: tests/knot-wallclock.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -fPIC -shared $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

# ---- libFuzzer harnesses (tests/fuzz/): clang, in a tree of their own ----
# The modules get coverage instrumentation and the sanitizers; libFuzzer's main
# is linked into each harness only. FUZZ_SECONDS per harness for `make fuzz`.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude -Idaemon -Isim -O1 -g -MMD -MP $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link
FUZZ_PKGS := json-c inih libconfig
# One harness per tests/fuzz/fuzz_*.c.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_B)/fuzz_%)

$(FUZZ_B)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(call pc_cflags,$(FUZZ_PKGS)) -c -o $@ $<

$(FUZZ_B)/sim/%.o: sim/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_B)/tests/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz $(call pc_cflags,$(FUZZ_PKGS)) -c -o $@ $<

# What each harness links besides its own object and tests/fuzz/common.c.
$(FUZZ_B)/fuzz_config: $(FUZZ_B)/daemon/config.o $(FUZZ_B)/daemon/log.o $(FUZZ_B)/daemon/textfile.o
$(FUZZ_B)/fuzz_profile: $(FUZZ_B)/daemon/profile.o $(FUZZ_B)/daemon/textfile.o $(FUZZ_B)/daemon/utf8.o
$(FUZZ_B)/fuzz_journal: $(FUZZ_B)/daemon/journal.o $(FUZZ_B)/daemon/jline.o $(FUZZ_B)/daemon/care.o $(FUZZ_B)/daemon/log.o $(FUZZ_B)/daemon/session.o \
	$(FUZZ_B)/daemon/profile.o $(FUZZ_B)/daemon/textfile.o $(FUZZ_B)/daemon/utf8.o
$(FUZZ_B)/fuzz_drive: $(FUZZ_B)/daemon/drive.o $(FUZZ_B)/daemon/advice.o $(FUZZ_B)/daemon/session.o \
	$(FUZZ_B)/daemon/profile.o $(FUZZ_B)/daemon/textfile.o $(FUZZ_B)/daemon/utf8.o
$(FUZZ_B)/fuzz_device: $(FUZZ_B)/sim/device.o
$(FUZZ_B)/fuzz_request: $(FUZZ_B)/daemon/request.o $(FUZZ_B)/daemon/utf8.o

# What the fuzzers found, as a cmocka test of its own (tests/unit/test_fuzzed.c, an ordinary unit test).
$(B)/tests/test_fuzzed: $(B)/daemon/drive.o $(B)/daemon/advice.o $(B)/daemon/session.o $(B)/daemon/profile.o \
	$(B)/daemon/textfile.o $(B)/daemon/utf8.o $(B)/sim/device.o

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/tests/fuzz_%.o $(FUZZ_B)/tests/common.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(call pc_libs,$(FUZZ_PKGS))

.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BINS)

# Each harness FUZZ_SECONDS, two at a time; found inputs go to build/fuzz/corpus/, crashes to build/fuzz/artifacts/.
fuzz: deps
	$(MAKE) fuzz-build
	tests/fuzz/run --seconds $(FUZZ_SECONDS) $(FUZZ_NAMES)

deps:
	@scripts/deps

# Both trees: the plain one (also run under valgrind) and the sanitized one; and the fuzz harnesses.
check-build:
	$(MAKE) all tests
	$(MAKE) SANITIZE=1 all tests
	$(MAKE) fuzz-build

check: deps
	$(MAKE) check-build
	tests/run

demo: deps
	$(MAKE) all tests
	scripts/demo

# knotd by hand on a virtual massager: a shell where knotctl just works (scripts/try -n N CMD: more, or a command).
try: deps
	$(MAKE) all
	scripts/try

bench: deps
	$(MAKE) all
	scripts/bench

# The closed-loop simulation, long: ten million sequences on every core.
SOAK_SEQUENCES ?= 10000000
soak: deps
	$(MAKE) tests
	KNOT_LOOP_SEQUENCES=$(SOAK_SEQUENCES) KNOT_LOOP_JOBS=$$(nproc) $(B)/tests/test_loop

# The contracts of the firmware core, the session engine and the controller's decisions, proved by
# Frama-C WP (docs/PROOFS.md); fails unless every goal is proved.
prove:
	@scripts/deps prove
	tests/prove/run

# Each tests/mutations/*.patch breaks one safety rule; the tests it names must fail
# (and the proof, for a patch to code make prove proves).
mutate: deps
	tests/mutate

# What a user needs, and only that: knotd and knotctl (not knot-sim or
# knot-gadget, so installing needs no umockdev or GLib), their manual pages,
# settings, unit, sysusers entry, udev rule, bash completion and the docs. INSTALLED is the one list
# uninstall removes again (and tests/scenario/test_install.py checks).
UNITS := $(sort $(wildcard systemd/*.service systemd/*.socket))
MAN1 := cli/knotctl.1
MAN5 := config/knotd.conf.5 config/knotd-profiles.5
MAN8 := daemon/knotd.8
DOCS := README.md $(sort $(wildcard docs/*.md))
INSTALLED = $(SBINDIR)/knotd $(BINDIR)/knotctl \
	$(PKGDATADIR)/knotd.conf $(PKGDATADIR)/profiles.conf \
	$(UNITS:systemd/%=$(UNITDIR)/%) $(UDEVDIR)/70-knotd.rules $(SYSUSERSDIR)/knotd.conf \
	$(COMPLETIONDIR)/knotctl $(patsubst %,$(DOCDIR)/%,$(notdir $(DOCS))) \
	$(patsubst %,$(MANDIR)/man1/%,$(notdir $(MAN1))) \
	$(patsubst %,$(MANDIR)/man5/%,$(notdir $(MAN5))) $(patsubst %,$(MANDIR)/man8/%,$(notdir $(MAN8)))

.PHONY: uninstall
# ExecStart follows SBINDIR, so a PREFIX=/usr/local install starts the right binary.
install: $(B)/knotd $(B)/knotctl
	install -D -m 0755 $(B)/knotd $(DESTDIR)$(SBINDIR)/knotd
	install -D -m 0755 $(B)/knotctl $(DESTDIR)$(BINDIR)/knotctl
	install -D -m 0644 config/knotd.conf $(DESTDIR)$(PKGDATADIR)/knotd.conf
	install -D -m 0644 config/profiles.conf $(DESTDIR)$(PKGDATADIR)/profiles.conf
	install -d -m 0755 $(DESTDIR)$(CONFDIR)   # the admin's: a file here replaces the package's
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	for u in $(UNITS); do \
		sed 's|/usr/sbin/knotd|$(SBINDIR)/knotd|' $$u > $(DESTDIR)$(UNITDIR)/$${u#systemd/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u#systemd/} || exit 1; \
	done
	install -D -m 0644 udev/70-knotd.rules $(DESTDIR)$(UDEVDIR)/70-knotd.rules
	install -D -m 0644 systemd/knotd.sysusers $(DESTDIR)$(SYSUSERSDIR)/knotd.conf
	install -D -m 0644 cli/knotctl.bash $(DESTDIR)$(COMPLETIONDIR)/knotctl
	install -d -m 0755 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -d -m 0755 $(DESTDIR)$(DOCDIR)
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/

# Exactly what install put, and the directories that are knotd's alone once empty.
uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	rmdir $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build

# Objects made by pattern rules are kept: they are not throw-away intermediates.
.SECONDARY:

-include $(shell find build -type f -name '*.d' 2>/dev/null)

# knot-gadget: the same device core on a real USB stack (FunctionFS on a
# configfs gadget), for a board with a USB device controller (docs/GADGET.md).
GADGET_SRCS := sim/gadget.c sim/gadget_ctl.c sim/scene.c sim/gadget_configfs.c sim/motor.c sim/motor_model.c sim/trace.c sim/device.c
GADGET_OBJS := $(GADGET_SRCS:%.c=$(B)/%.o)
all: $(B)/knot-gadget

$(B)/knot-gadget: $(GADGET_OBJS)
	$(CC) $(KNOT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpthread

.PHONY: check-vm
# A QEMU guest on Debian's kernel where knot-gadget enumerates on dummy_hcd and
# real udev and systemd start knotd (tests/vm/run). KNOT_VM_ACCEL=kvm|tcg|auto.
check-vm:
	@scripts/deps vm
	$(MAKE) all
	tests/vm/run
