# Release packages. Included by the top Makefile (`include packaging/packaging.mk`);
# uses its GO, VERSION, COMMIT, LDFLAGS, PKGS_* and apt_install.
#
#   make package-linux     build/iapdesk-VERSION-linux-amd64.tar.xz and build/iapdesk_DEBVERSION_amd64.deb
#   make package-windows   build/windows/iapdesk.exe (+ a versioned copy): GUI exe with icon and version info
#   make package-macos     build/iapdesk.app — on a Mac only (packaging/macos/build-app.sh)
#   make package-test      builds the Linux and Windows packages and checks them (packaging/test-packages.sh)
#   make package-info      prints the version in each package format
#   make icons             re-renders icons/*.png and icons/iapdesk.ico from icons/iapdesk.svg
#
# Package versions come from `git describe --tags` (VERSION); packaging/version.sh
# maps them to Debian and Windows forms. Tag a release with `git tag -a v0.1.0`.

# dpkg-dev: dpkg-shlibdeps computes the .deb's Depends.
PKGS_PACKAGING := $(PKGS_BUILD) $(PKGS_PKG) dpkg-dev binutils
DEB_VERSION     = $(shell packaging/version.sh deb '$(VERSION)')
WIN_VERSION     = $(shell packaging/version.sh win '$(VERSION)')
# Release binaries drop the symbol table and DWARF (-s -w): a relink only, the
# compiled packages in the Go build cache are the same as `make build`'s.
PKG_LDFLAGS     = $(LDFLAGS) -s -w

.PHONY: deps-package package-linux package-windows package-macos package-test package-info icons

deps-package:
	$(call apt_install,$(PKGS_PACKAGING))

# Shell assignments; packaging/test-packages.sh evals them.
package-info:
	@echo "VERSION='$(VERSION)'"
	@echo "COMMIT='$(COMMIT)'"
	@echo "DEB_VERSION='$(DEB_VERSION)'"
	@echo "WIN_VERSION='$(WIN_VERSION)'"

# The go build lines are not echoed: LDFLAGS may carry the OAuth client.
package-linux: deps-package
	@echo "go build (linux, release flags) -o build/linux/iapdesk"
	@CGO_ENABLED=1 $(GO) build -ldflags '$(PKG_LDFLAGS)' -o build/linux/iapdesk .
	packaging/linux/package.sh build/linux/iapdesk '$(VERSION)' build

# The icon, manifest and version resources are compiled into a .syso in the
# main package directory for the duration of the build only (Go links a .syso
# from there; the _windows_amd64 suffix keeps it out of every other build),
# and removed even when the build fails.
package-windows: deps-package
	@set -euo pipefail; \
	trap 'rm -f rsrc_windows_amd64.syso' EXIT; \
	packaging/windows/mkrsrc.sh '$(VERSION)' '$(COMMIT)' rsrc_windows_amd64.syso; \
	echo "go build (windows/amd64, cgo with x86_64-w64-mingw32-gcc) -o build/windows/iapdesk.exe"; \
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	  $(GO) build -ldflags '$(PKG_LDFLAGS) -H=windowsgui' -o build/windows/iapdesk.exe .
	cp build/windows/iapdesk.exe 'build/iapdesk-$(VERSION)-windows-amd64.exe'
	@echo build/iapdesk-$(VERSION)-windows-amd64.exe

package-macos:
	packaging/macos/build-app.sh '$(VERSION)' build

package-test:
	packaging/test-packages.sh

# Developer tool, not CI: the renderings are committed.
icons:
	$(call apt_install,librsvg2-bin imagemagick)
	packaging/mkicons.sh
