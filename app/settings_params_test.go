package app

import (
	"reflect"
	"testing"

	"iapdesk/app/settings"
	"iapdesk/platform"
)

func TestResolvedParams(t *testing.T) {
	r := settings.Resolve(settings.Layer{Source: settings.SourceProfile, Settings: settings.Settings{
		RDP: settings.RDPSettings{Username: settings.Some("alice"), Domain: settings.Some("CORP"), FullScreen: settings.Some(true),
			Width: settings.Some(1280), Height: settings.Some(800), ColorDepth: settings.Some(32), Audio: settings.Some(platform.AudioRemote),
			Clipboard: settings.Some(false), RedirectDrives: settings.Some(true), Certificate: settings.Some(settings.CertificateTOFU)},
		SSH: settings.SSHSettings{Username: settings.Some("bob"), ProxyCommand: settings.Some(true)},
	}})
	got := rdpParams(r)
	want := RDPParams{Username: "alice", Domain: "CORP", Options: platform.RDPOptions{
		FullScreen: true, Width: 1280, Height: 800, ColorDepth: 32, Audio: platform.AudioRemote, NoClipboard: true,
		Drives: []platform.Drive{{Name: "drives", Path: "*"}}, Cert: platform.CertTOFU,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rdpParams() = %+v, want %+v", got, want)
	}
	if got := rdpParams(settings.Resolve()); !reflect.DeepEqual(got, RDPParams{}) {
		t.Errorf("rdpParams() of the defaults = %+v, want the zero value (platform's defaults)", got)
	}
	half := settings.Resolve(settings.Layer{Source: settings.SourceProject, Settings: settings.Settings{RDP: settings.RDPSettings{Width: settings.Some(1280)}}})
	if o := rdpParams(half).Options; o.Width != 0 || o.Height != 0 {
		t.Errorf("rdpParams() with only a width = %dx%d, want 0x0 (client default)", o.Width, o.Height)
	}
	// ssh.client defaults to embedded (a terminal tab in the window).
	if got, want := sshParams(r), (SSHParams{Username: "bob", ProxyCommand: true, Embedded: true}); !reflect.DeepEqual(got, want) {
		t.Errorf("sshParams() = %+v, want %+v", got, want)
	}
	system := settings.Resolve(settings.Layer{Source: settings.SourceZone, Settings: settings.Settings{
		SSH: settings.SSHSettings{Client: settings.Some(settings.SSHClientSystem)}}})
	if got := sshParams(system); got.Embedded {
		t.Errorf("sshParams() with ssh.client=system = %+v, want Embedded false", got)
	}
}
