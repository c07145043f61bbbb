package app

import (
	"iapdesk/app/settings"
	"iapdesk/platform"
)

// rdpParams returns the RDP client settings of r, without a password (the
// caller adds it from the keyring: Credentials.RDPPassword).
//
// Not mapped: rdp.connectionBar (platform.RDPOptions has no connection-bar
// option yet; IAP Desktop's embedded client has one, mstsc's .rdp file
// calls it displayconnectionbar).
func rdpParams(r settings.Resolved) RDPParams {
	s := r.Settings.RDP
	o := platform.RDPOptions{
		FullScreen:        s.FullScreen.Value(),
		Width:             s.Width.Value(),
		Height:            s.Height.Value(),
		DynamicResolution: s.DynamicResolution.Value(),
		ScaleToWindow:     s.ScaleToWindow.Value(),
		ColorDepth:        s.ColorDepth.Value(),
		NoClipboard:       !s.Clipboard.Value(),
	}
	if o.Width == 0 || o.Height == 0 {
		// The clients need both or neither; a half-set size falls back to
		// the default rather than failing the connection.
		o.Width, o.Height = 0, 0
	}
	o.Audio = s.Audio.Value()
	switch s.Certificate.Value() {
	case settings.CertificateTOFU:
		o.Cert = platform.CertTOFU
	case settings.CertificateDeny:
		o.Cert = platform.CertDeny
	default:
		o.Cert = platform.CertIgnore
	}
	if s.RedirectDrives.Value() {
		o.Drives = []platform.Drive{{Name: "drives", Path: "*"}}
	}
	return RDPParams{Username: s.Username.Value(), Domain: s.Domain.Value(), Options: o}
}

// sshParams returns ssh's settings of r. The key file and the username
// actually published come from the KeyPublisher (PublishedKey.Params);
// ssh.terminal is the Launcher's choice (platform.Config.Terminal), not a
// per-connection parameter.
func sshParams(r settings.Resolved) SSHParams {
	s := r.Settings.SSH
	return SSHParams{Username: s.Username.Value(), ProxyCommand: s.ProxyCommand.Value(),
		Embedded: s.Client.Value() != settings.SSHClientSystem}
}
