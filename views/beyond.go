package views

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"

	"iapdesk/app"
)

// SSHConfigWriter writes the managed ssh config (`iapdesk ssh-config`) for
// the loaded VMs; *app.SSHConfig implements it.
type SSHConfigWriter interface {
	Write(ctx context.Context, inv *app.Inventory, flags []string) (app.SSHConfigResult, error)
	Written() bool
	UserConfig() string
}

// GatewayServer is `iapdesk gateway` (*app.Gateway): Serve runs it on a
// listener until ctx ends; Routes lists its routes.
type GatewayServer interface {
	Serve(ctx context.Context, ln net.Listener) error
	Routes() []app.GatewayRoute
}

// TrayChoiceStore keeps what closing the window does while tunnels are
// open (*app.TrayPrefs).
type TrayChoiceStore interface {
	Load(ctx context.Context) (app.CloseChoice, error)
	Save(ctx context.Context, c app.CloseChoice) error
}

var (
	_ SSHConfigWriter = (*app.SSHConfig)(nil)
	_ GatewayServer   = (*app.Gateway)(nil)
	_ TrayChoiceStore = (*app.TrayPrefs)(nil)
)

// beyond is the window's state for the ssh config, the gateway and the
// system tray. UI thread only, except where a field says otherwise.
type beyond struct {
	// sshConfigAt is the inventory load the ssh config was last written
	// for: it follows every refresh once written.
	sshConfigAt time.Time
	// gatewayStop stops the running gateway (nil: stopped); gatewayAddr
	// is where it listens.
	gatewayStop context.CancelFunc
	gatewayAddr string
	gatewayItem *fyne.MenuItem
	// gatewayListen is where the gateway listens; "" is
	// app.DefaultGatewayAddr (tests take a free port).
	gatewayListen string
	// tray is the desktop's system tray, nil where there is none.
	tray trayHost
	// states are the tunnels' last states, for the notifications.
	states map[app.TunnelKey]app.TunnelState
	// closeChoice is the kept answer to "keep running in the tray?".
	closeChoice app.CloseChoice
	choiceRead  bool
	// trayItem is File → "Keep running in the tray when closed", nil
	// where there is no tray.
	trayItem *fyne.MenuItem
}

// fileMenuItems are File's items for the ssh config and the gateway.
func (w *Window) fileMenuItems() []*fyne.MenuItem {
	sshCfg := fyne.NewMenuItemWithIcon("Write ssh config…", theme.DocumentSaveIcon(), w.writeSSHConfig)
	w.extras.gatewayItem = fyne.NewMenuItem("Gateway on "+app.DefaultGatewayAddr, w.toggleGateway)
	items := []*fyne.MenuItem{sshCfg, w.extras.gatewayItem}
	if w.extras.tray != nil {
		w.extras.trayItem = fyne.NewMenuItem("Keep running in the tray when closed", w.toggleCloseToTray)
		w.extras.trayItem.Checked = w.extras.closeChoice == app.CloseToTray
		items = append(items, w.extras.trayItem)
	}
	return items
}

// writeSSHConfig is File → Write ssh config…: ~/.ssh/iapdesk.config for
// the loaded VMs, included from ~/.ssh/config; it then follows every
// refresh of the inventory (sshConfigFollow).
func (w *Window) writeSSHConfig() {
	svc := w.svc
	if svc == nil || svc.SSHConfig == nil {
		return
	}
	inv := svc.Explorer.Unfiltered()
	w.run("Writing ssh config", func(ctx context.Context) error {
		res, err := svc.SSHConfig.Write(ctx, inv, nil)
		if err != nil {
			return err
		}
		w.do(func() {
			w.extras.sshConfigAt = inv.LoadedAt
			msg := fmt.Sprintf("Wrote %d hosts to %s, included from %s.\n\n"+
				"ssh, scp and rsync now reach each VM as INSTANCE.ZONE.PROJECT (or INSTANCE, where unique) through IAP.\n"+
				"The file is rewritten whenever the projects refresh; `iapdesk ssh-config --remove` removes it.",
				res.Hosts, res.Path, svc.SSHConfig.UserConfig())
			if len(res.Skipped) > 0 {
				msg += fmt.Sprintf("\n\n%d VMs were left out (see the log).", len(res.Skipped))
			}
			dialog.ShowInformation("ssh config written", msg, w.win)
		})
		return nil
	})
}

// sshConfigFollow rewrites the ssh config after a refresh of the
// inventory, once the user has written it.
func (w *Window) sshConfigFollow() {
	svc := w.svc
	if svc == nil || svc.SSHConfig == nil || !svc.SSHConfig.Written() {
		return
	}
	inv := svc.Explorer.Unfiltered()
	if inv == nil || inv.LoadedAt.IsZero() || !inv.LoadedAt.After(w.extras.sshConfigAt) {
		return
	}
	w.extras.sshConfigAt = inv.LoadedAt
	w.job("", func(ctx context.Context) {
		if _, err := svc.SSHConfig.Write(ctx, inv, nil); err != nil && ctx.Err() == nil {
			w.log.Warn("ssh config not updated", slog.Any("error", err))
		}
	})
}

// toggleGateway is File → Gateway: it starts `iapdesk gateway` on its
// default port, or stops it. Its routes are tunnels: the panel shows them.
func (w *Window) toggleGateway() {
	svc := w.svc
	if svc == nil || svc.Gateway == nil {
		return
	}
	if stop := w.extras.gatewayStop; stop != nil {
		stop()
		w.extras.gatewayStop = nil
		w.setGatewayItem("")
		return
	}
	ln, err := app.ListenGateway(w.ctx, w.extras.gatewayListen, w.log)
	if err != nil {
		w.showError(&app.UserError{What: "Cannot start the gateway", Why: err.Error(),
			Fix: "Another program (another iapdesk gateway?) uses the port; stop it, or run iapdesk gateway --listen HOST:PORT.", Err: err})
		return
	}
	ctx, cancel := context.WithCancel(w.ctx)
	w.extras.gatewayStop = cancel
	w.setGatewayItem(ln.Addr().String())
	w.loops.Go(func() {
		err := svc.Gateway.Serve(ctx, ln)
		w.do(func() {
			if err != nil && w.ctx.Err() == nil {
				w.showError(err)
			}
			if ctx.Err() == nil { // it stopped on its own
				w.extras.gatewayStop = nil
				w.setGatewayItem("")
			}
		})
	})
}

// setGatewayItem shows the gateway running at addr ("": stopped).
func (w *Window) setGatewayItem(addr string) {
	w.extras.gatewayAddr = addr
	it := w.extras.gatewayItem
	if it == nil {
		return
	}
	it.Checked = addr != ""
	if addr != "" {
		it.Label = "Gateway on " + addr + " (SOCKS5, HTTP CONNECT)"
	} else {
		it.Label = "Gateway on " + app.DefaultGatewayAddr
	}
	if m := w.win.MainMenu(); m != nil {
		m.Refresh()
	}
	w.updateTray()
}
