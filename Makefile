# iapdesk — build, test and package. `make demo` and `make test` are the two
# commands a newcomer runs on a fresh Debian 12 machine; both install what is
# missing first (apt, quietly, only when missing).

SHELL   := /bin/bash
GO      ?= go
GOBIN   := $(shell $(GO) env GOPATH)/bin
export PATH := $(PATH):$(GOBIN)
# Tests and benchmarks print en_US dates and Fyne wants a parseable locale.
export LANG ?= C.UTF-8

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X iapdesk/app.version=$(VERSION) -X iapdesk/app.commit=$(COMMIT)
# An organisation's own "Desktop app" OAuth client (see docs/sign-in.md); the
# IAPDESK_OAUTH_CLIENT_ID/_SECRET environment variables override it at run time.
ifneq ($(OAUTH_CLIENT_ID),)
LDFLAGS += -X iapdesk/auth.oauthClientID=$(OAUTH_CLIENT_ID) -X iapdesk/auth.oauthClientSecret=$(OAUTH_CLIENT_SECRET)
endif

STATICCHECK_VERSION := v0.8.2
ACTIONLINT_VERSION  := v1.7.12

# System packages, by purpose. `make deps` installs the missing ones.
PKGS_BUILD := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
              libxinerama-dev libxi-dev libxxf86vm-dev
PKGS_GUI   := xvfb xauth x11-utils xdotool imagemagick libgl1-mesa-dri xterm
PKGS_SSH   := openssh-server openssh-client vim procps
# iapdesk gateway's and ssh-config's end-to-end tests: curl through the
# gateway, rsync through the generated ssh config.
PKGS_NET   := curl rsync
PKGS_KEYS  := gnome-keyring dbus libsecret-tools
PKGS_RDP   := freerdp2-x11 freerdp2-shadow-x11
PKGS_WEB   := chromium
PKGS_PKG   := gcc-mingw-w64-x86-64 appstream desktop-file-utils xz-utils dpkg-dev
# Wine 8.0 runs the Windows build in make test (packaging/wine); wine64 alone
# has no `wine` command, the wine package adds it (and wineboot, wineserver).
PKGS_WINE  := wine64 wine
PKGS_TEST  := $(PKGS_BUILD) $(PKGS_GUI) $(PKGS_SSH) $(PKGS_NET) $(PKGS_KEYS) $(PKGS_RDP) $(PKGS_WEB) $(PKGS_PKG) $(PKGS_WINE)
# The demo: Fyne build packages, an SSH server for the Linux VMs (the system
# sshd on a loopback port), a terminal to run ssh in, and FreeRDP (client +
# shadow server) for the Windows VMs' RDP.
PKGS_DEMO  := $(PKGS_BUILD) $(PKGS_SSH) xterm $(PKGS_RDP)

.PHONY: all build test vet staticcheck actionlint deps deps-demo fuzz bench demo screenshot screenshot-tray clean version test-windows test-wine

all: build

# apt-install only the packages that are not installed yet; quiet unless it fails.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  log=$$(mktemp); \
	  if ! { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; } >$$log 2>&1; then \
	    cat $$log; rm -f $$log; echo "apt-get failed: install the packages above by hand, then re-run make" >&2; exit 1; \
	  fi; rm -f $$log; \
	fi
endef

deps:
	$(call apt_install,$(PKGS_TEST))

deps-demo:
	$(call apt_install,$(PKGS_DEMO))

build: deps-demo
	$(GO) build -ldflags '$(LDFLAGS)' -o build/iapdesk .

version: build
	./build/iapdesk version

staticcheck:
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# actionlint checks .github/workflows (the hosted Windows and macOS jobs, which
# cannot run here).
actionlint:
	@command -v actionlint >/dev/null || $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# vet on every OS we ship: Windows and macOS code is compiled from Linux. cgo is
# off for the cross vets (no cross C toolchain for darwin), so only the packages
# without cgo (everything but views and main) are vetted there.
vet:
	$(GO) vet ./...
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./tunnel/... ./auth/... ./platform/... ./app/... ./internal/... ./icons/... ./packaging/...
	GOOS=darwin  CGO_ENABLED=0 $(GO) vet ./tunnel/... ./auth/... ./platform/... ./app/... ./internal/... ./icons/... ./packaging/...

# Fuzz every parser of untrusted bytes for FUZZTIME each, one target at a
# time (each run builds its package with coverage instrumentation: slow the
# first time). FUZZ_TARGETS must name every `func Fuzz…` in the tree, and
# each target needs a committed seed corpus in testdata/fuzz/<target>: `make
# fuzz` checks both first. Minimising a new interesting input takes up to
# 7 s (FuzzParseProfiles), the whole budget of a short run: with it, 5 s of
# FuzzParseProfiles found 4-6 new inputs, without it 84-100. So it is off
# (FUZZMINIMIZETIME=0) and a failing input is saved unminimised (re-run its
# target with -fuzzminimizetime 30s to shrink it). Each target prints one
# summary line; one under FUZZMINRATE execs/s gets a WARNING, as a short run
# of it tests next to nothing. go1.26's coordinator can fail a run with a
# bare "context deadline exceeded" at the deadline (go.dev/issue/75804,
# fixed in go1.27): without a failing input, that is noted, not failed.
# Each target starts from its committed corpus in a fresh cache: Go first
# re-runs every input cached by earlier runs ($GOCACHE/fuzz, which only
# grows), and 120 cached inputs of FuzzParseProfiles took 3 of the 5 s.
# (The fresh cache is passed as -test.fuzzcachedir, the flag through which
# go test names its own.) FUZZCACHE=go uses Go's cache instead.
FUZZTIME         ?= 5s
FUZZMINIMIZETIME ?= 0
FUZZMINRATE      ?= 200
FUZZCACHE        ?= fresh
FUZZ_TARGETS := ./tunnel/:FuzzDecodeFrame \
                ./auth/:FuzzEmailFromIDToken ./auth/:FuzzFileTokenSource ./auth/:FuzzLoadAccounts \
                ./auth/:FuzzParseCertificateConfig ./auth/:FuzzParseSecureConnectMetadata \
                ./platform/proxy/:FuzzParsePACResult ./platform/proxy/:FuzzParseAddress \
                ./platform/:FuzzSSHConfigQuote ./platform/:FuzzExpandTemplate ./platform/:FuzzParseProcNetTCP \
                ./app/gcetest/:FuzzParseFilter ./app/gcetest/:FuzzParseFieldMask ./app/gcetest/:FuzzParseCRMFilter \
                ./internal/gcename/:FuzzParseResource ./app/:FuzzParseProfiles ./app/:FuzzParseIAPRDPURL ./app/:FuzzDecodeDocument \
                ./app/:FuzzParseLocalHostPort ./app/gce/:FuzzReplyScanner ./app/gce/:FuzzAddSSHKey ./app/:FuzzTerminalSafe \
                ./internal/proxyreq/:FuzzRead \
                ./internal/cli/:FuzzParseSCPOperand ./views/terminal/:FuzzModelWrite
fuzz:
	@found=$$(grep -rEo --include='*_test.go' --exclude-dir=testdata '^func Fuzz[A-Za-z0-9_]*' . \
	  | sed -E 's|^(.*/)[^/]*:func (Fuzz.*)$$|\1:\2|' | LC_ALL=C sort); \
	listed=$$(printf '%s\n' $(FUZZ_TARGETS) | LC_ALL=C sort); \
	if [ "$$found" != "$$listed" ]; then \
	  echo "FUZZ_TARGETS in the Makefile does not match the fuzz targets in the tree:"; \
	  LC_ALL=C comm -13 <(echo "$$listed") <(echo "$$found") | sed 's/^/  missing from FUZZ_TARGETS: /'; \
	  LC_ALL=C comm -23 <(echo "$$listed") <(echo "$$found") | sed 's/^/  in FUZZ_TARGETS, not in the tree: /'; \
	  exit 1; \
	fi >&2; \
	for t in $(FUZZ_TARGETS); do \
	  corpus=$${t%%:*}testdata/fuzz/$${t##*:}; \
	  [ -n "$$(ls -A $$corpus 2>/dev/null)" ] || { echo "$${t##*:} has no committed seed corpus in $$corpus" >&2; exit 1; }; \
	done
	@failed=; slow=0; log=$$(mktemp); cache=$$(mktemp -d); trap 'rm -rf $$log $$cache' EXIT; \
	for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; cachearg=; \
	  [ "$(FUZZCACHE)" = go ] || cachearg="-test.fuzzcachedir=$$cache/$$pkg"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) \
	    -args $$cachearg >$$log 2>&1; rc=$$?; \
	  note=; \
	  if [ $$rc != 0 ] && grep -qx '    context deadline exceeded' $$log && \
	     ! grep -qE 'Failing input written|failure while testing seed corpus' $$log; then \
	    rc=0; note=" (go.dev/issue/75804 deadline race, no failing input: ignored)"; \
	  fi; \
	  read -r execs secs < <(awk '/^fuzz: elapsed: [0-9hms]+, execs: [0-9]+ / { e = $$3; n = $$5 } \
	    END { s = 0; while (match(e, /^[0-9]+[hms]/)) { u = substr(e, RLENGTH, 1); \
	      s += substr(e, 1, RLENGTH - 1) * (u == "h" ? 3600 : u == "m" ? 60 : 1); e = substr(e, RLENGTH + 1) } \
	      print n + 0, s }' $$log); \
	  rate=$$(( execs / (secs > 0 ? secs : 1) )); \
	  printf 'fuzz %-24s %-16s %9d execs in %3ds %7d/s%s\n' $$fn $$pkg $$execs $$secs $$rate "$$note"; \
	  if [ $$rc != 0 ]; then cat $$log; failed="$$failed $$fn"; \
	  elif [ $$rate -lt $(FUZZMINRATE) ]; then slow=$$((slow + 1)); \
	    echo "WARNING: $$fn ran $$rate execs/s, under $(FUZZMINRATE): it barely fuzzes in $(FUZZTIME)"; fi; \
	done; \
	echo "fuzz: $(words $(FUZZ_TARGETS)) targets, $$slow slow, failed:$${failed:- none}"; \
	[ -z "$$failed" ]

test: deps staticcheck actionlint vet
	staticcheck ./...
	actionlint
	.ci/with-session $(GO) test -race -count=1 -timeout 30m $$($(GO) list -e ./... | grep -vx 'iapdesk/packaging/wine')
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory package-test
	$(MAKE) --no-print-directory test-wine

# The Windows build under Wine: the TestE2EWindows… tests of packaging/wine run
# build/windows/iapdesk.exe (what package-windows builds; in make test,
# package-test has just built it) in a throwaway prefix, build/wine, and stop
# its wineserver at the end. Outside make test they skip without the exe.
test-windows: deps package-windows
	$(MAKE) --no-print-directory test-wine

test-wine:
	IAPDESK_WINE_EXE=$(CURDIR)/build/windows/iapdesk.exe IAPDESK_WINE_DIR=$(CURDIR)/build/wine \
	  IAPDESK_WINE_VERSION='$(VERSION)' $(GO) test -count=1 -timeout 20m -v -run '^TestE2EWindows' ./packaging/wine/

# The README's first command: the app against a demo organisation (fake
# Compute/Resource Manager/OAuth, the IAP relay fake, a real local sshd).
# It never touches your accounts, keyring or settings.
demo: build
	@[ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || { echo "make demo opens a window: run it in a desktop session (make screenshot runs the demo under Xvfb instead)" >&2; exit 1; }
	./build/iapdesk --demo

# The README's pictures in docs/: the demo under Xvfb with the tree expanded
# and a context menu open (screenshot.png), a search without a match, the
# Saved connections tab and a tunnel reconnecting. TestE2EDemoWindow drives
# it (iapdesk --demo --demo-script=MODE) and grabs the window.
screenshot: deps-demo
	$(call apt_install,xvfb xauth x11-utils xdotool imagemagick libgl1-mesa-dri)
	@mkdir -p build docs
	CI=1 IAPDESK_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run '^TestE2EDemoWindow$$' .
	@echo "wrote docs/screenshot*.png"

# The tray menu (docs/screenshot-tray.png): the demo's StatusNotifierItem in
# xfce4-panel's Status Tray, under Xvfb and a private D-Bus session bus.
screenshot-tray: build
	@mkdir -p docs
	packaging/screenshot-tray.sh docs/screenshot-tray.png build/iapdesk

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./tunnel/ ./platform/ ./auth/ ./app/ ./views/terminal/

clean:
	rm -rf build

include packaging/packaging.mk
