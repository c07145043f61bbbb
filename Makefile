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
# An organisation's own "Desktop app" OAuth client (see README); the
# IAPDESK_OAUTH_CLIENT_ID/_SECRET environment variables override it at run time.
ifneq ($(OAUTH_CLIENT_ID),)
LDFLAGS += -X iapdesk/auth.oauthClientID=$(OAUTH_CLIENT_ID) -X iapdesk/auth.oauthClientSecret=$(OAUTH_CLIENT_SECRET)
endif

STATICCHECK_VERSION := v0.8.2

# System packages, by purpose. `make deps` installs the missing ones.
PKGS_BUILD := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
              libxinerama-dev libxi-dev libxxf86vm-dev
PKGS_GUI   := xvfb xauth x11-utils xdotool imagemagick libgl1-mesa-dri xterm
PKGS_SSH   := openssh-server openssh-client
PKGS_KEYS  := gnome-keyring dbus libsecret-tools
PKGS_RDP   := freerdp2-x11 freerdp2-shadow-x11
PKGS_WEB   := chromium
PKGS_PKG   := gcc-mingw-w64-x86-64 appstream desktop-file-utils xz-utils dpkg-dev
PKGS_TEST  := $(PKGS_BUILD) $(PKGS_GUI) $(PKGS_SSH) $(PKGS_KEYS) $(PKGS_RDP) $(PKGS_WEB) $(PKGS_PKG)
# The demo: Fyne build packages, an SSH server for the Linux VMs (the system
# sshd on a loopback port), a terminal to run ssh in, and FreeRDP (client +
# shadow server) for the Windows VMs' RDP.
PKGS_DEMO  := $(PKGS_BUILD) $(PKGS_SSH) xterm $(PKGS_RDP)

.PHONY: all build test vet staticcheck deps deps-demo fuzz bench demo screenshot clean version

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

# vet on every OS we ship: Windows and macOS code is compiled from Linux. cgo is
# off for the cross vets (no cross C toolchain for darwin), so only the packages
# without cgo (everything but views and main) are vetted there.
vet:
	$(GO) vet ./...
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./tunnel/... ./auth/... ./platform/... ./app/... ./icons/... ./packaging/...
	GOOS=darwin  CGO_ENABLED=0 $(GO) vet ./tunnel/... ./auth/... ./platform/... ./app/... ./icons/... ./packaging/...

# Fuzz every parser of untrusted bytes for a few seconds each.
FUZZTIME ?= 5s
FUZZ_TARGETS := ./tunnel/:FuzzDecodeFrame ./auth/:FuzzEmailFromIDToken \
                ./platform/:FuzzSSHConfigQuote ./platform/:FuzzExpandTemplate ./platform/:FuzzParseProcNetTCP \
                ./app/:FuzzParseResource ./app/gcetest/:FuzzParseFilter ./app/gcetest/:FuzzParseFieldMask \
                ./app/gcetest/:FuzzParseCRMFilter ./app/:FuzzParseProfiles ./app/:FuzzParseIAPRDPURL
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME); \
	done

test: deps staticcheck vet
	staticcheck ./...
	.ci/with-session $(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory package-test

# The README's first command: the app against a demo organisation (fake
# Compute/Resource Manager/OAuth, the IAP relay fake, a real local sshd).
# It never touches your accounts, keyring or settings.
demo: build
	@[ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || { echo "make demo opens a window: run it in a desktop session (make screenshot runs the demo under Xvfb instead)" >&2; exit 1; }
	./build/iapdesk --demo

# docs/screenshot.png (shown in the README): the demo under Xvfb with the
# tree expanded and a context menu open. TestE2EDemoWindow drives it
# (iapdesk --demo --demo-script=screenshot) and grabs the window.
screenshot: deps-demo
	$(call apt_install,xvfb xauth x11-utils xdotool imagemagick libgl1-mesa-dri)
	@mkdir -p build docs
	CI=1 IAPDESK_SCREENSHOT=$(CURDIR)/build/screenshot.png $(GO) test -count=1 -run '^TestE2EDemoWindow$$' .
	cp build/screenshot.png docs/screenshot.png
	@echo "wrote build/screenshot.png and docs/screenshot.png"

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./tunnel/ ./platform/ ./auth/ ./app/

clean:
	rm -rf build

include packaging/packaging.mk
