# Installs iapdesk from this unpacked release (shipped as its Makefile).
#
#   sudo make install                       # into /usr/local, for everyone
#   make install PREFIX=$HOME/.local        # just for you, no root needed
#   sudo make uninstall                     # (same PREFIX as install)
#
# DESTDIR stages the install elsewhere (for packagers); the caches are then
# left alone.

PREFIX  ?= /usr/local
DESTDIR ?=
ID      := io.github.iapdesk
SHARE   := $(DESTDIR)$(PREFIX)/share
ICONS   := 48x48/apps/$(ID).png 128x128/apps/$(ID).png 256x256/apps/$(ID).png scalable/apps/$(ID).svg

.PHONY: install uninstall

install:
	install -D -m 0755 bin/iapdesk '$(DESTDIR)$(PREFIX)/bin/iapdesk'
	install -d -m 0755 '$(SHARE)/applications'
	@# Launchers do not always have $(PREFIX)/bin on their PATH (~/.local/bin
	@# often is not), so the installed .desktop file names the binary by path.
	sed 's|^Exec=iapdesk |Exec="$(PREFIX)/bin/iapdesk" |' share/applications/$(ID).desktop >'$(SHARE)/applications/$(ID).desktop'
	chmod 0644 '$(SHARE)/applications/$(ID).desktop'
	install -D -m 0644 share/metainfo/$(ID).metainfo.xml '$(SHARE)/metainfo/$(ID).metainfo.xml'
	for i in $(ICONS); do install -D -m 0644 share/icons/hicolor/$$i '$(SHARE)/icons/hicolor/'$$i || exit 1; done
	$(MAKE) --no-print-directory caches

uninstall:
	rm -f '$(DESTDIR)$(PREFIX)/bin/iapdesk' '$(SHARE)/applications/$(ID).desktop' '$(SHARE)/metainfo/$(ID).metainfo.xml'
	for i in $(ICONS); do rm -f '$(SHARE)/icons/hicolor/'$$i; done
	$(MAKE) --no-print-directory caches

# Refresh the desktop database (the iap-rdp: URL handler) and icon cache, when
# the tools are there; a missing tool only means the menu updates later.
.PHONY: caches
caches:
	@if [ -z '$(DESTDIR)' ]; then \
	  if command -v update-desktop-database >/dev/null; then update-desktop-database -q '$(SHARE)/applications' || true; fi; \
	  if command -v gtk-update-icon-cache >/dev/null && [ -f '$(SHARE)/icons/hicolor/index.theme' ]; then \
	    gtk-update-icon-cache -q -t -f '$(SHARE)/icons/hicolor' || true; fi; \
	fi
