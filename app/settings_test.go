package app_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"iapdesk/app"
	"iapdesk/platform"
)

func TestResolveInheritance(t *testing.T) {
	project := app.Settings{RDP: app.RDPSettings{Username: app.Some("proj-user"), Domain: app.Some("CORP"), ColorDepth: app.Some(16)},
		Tunnel: app.TunnelSettings{KeepOpen: app.Some(true)}}
	zone := app.Settings{RDP: app.RDPSettings{ColorDepth: app.Some(24), Audio: app.Some(app.AudioOff)}}
	instance := app.Settings{RDP: app.RDPSettings{Username: app.Some("vm-user"), Clipboard: app.Some(false)}}
	profile := app.Settings{RDP: app.RDPSettings{Clipboard: app.Some(true), FullScreen: app.Some(true)},
		Tunnel: app.TunnelSettings{KeepOpen: app.Some(false)}}
	all := []app.Layer{
		{Source: app.SourceProject, Settings: project},
		{Source: app.SourceZone, Settings: zone},
		{Source: app.SourceInstance, Settings: instance},
		{Source: app.SourceProfile, Settings: profile},
	}
	type want struct {
		value  string
		source app.Source
	}
	tests := []struct {
		name   string
		layers []app.Layer
		want   map[string]want
	}{
		{"defaults only", nil, map[string]want{
			"rdp.username": {"", app.SourceDefault}, "rdp.clipboard": {"true", app.SourceDefault},
			"rdp.audio": {"local", app.SourceDefault}, "ssh.keyType": {"ed25519", app.SourceDefault},
			"tunnel.keepOpen": {"false", app.SourceDefault},
		}},
		{"project only", all[:1], map[string]want{
			"rdp.username": {"proj-user", app.SourceProject}, "rdp.domain": {"CORP", app.SourceProject},
			"rdp.colorDepth": {"16", app.SourceProject}, "rdp.audio": {"local", app.SourceDefault},
		}},
		{"zone overrides project", all[:2], map[string]want{
			"rdp.username": {"proj-user", app.SourceProject}, "rdp.colorDepth": {"24", app.SourceZone},
			"rdp.audio": {"off", app.SourceZone},
		}},
		{"instance overrides zone and project", all[:3], map[string]want{
			"rdp.username": {"vm-user", app.SourceInstance}, "rdp.domain": {"CORP", app.SourceProject},
			"rdp.clipboard": {"false", app.SourceInstance}, "rdp.colorDepth": {"24", app.SourceZone},
		}},
		{"profile wins", all, map[string]want{
			"rdp.username": {"vm-user", app.SourceInstance}, "rdp.clipboard": {"true", app.SourceProfile},
			"rdp.fullScreen": {"true", app.SourceProfile}, "tunnel.keepOpen": {"false", app.SourceProfile},
			"rdp.audio": {"off", app.SourceZone},
		}},
		{"argument order does not matter", []app.Layer{all[3], all[0], all[2], all[1]}, map[string]want{
			"rdp.username": {"vm-user", app.SourceInstance}, "rdp.clipboard": {"true", app.SourceProfile},
			"rdp.colorDepth": {"24", app.SourceZone},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := app.Resolve(tc.layers...)
			for key, w := range tc.want {
				v, set, err := r.Settings.FieldValue(key)
				if err != nil || !set {
					t.Fatalf("Resolve().FieldValue(%q) = %q, %v, %v; want a set value", key, v, set, err)
				}
				if v != w.value || r.Source(key) != w.source {
					t.Errorf("Resolve() %s = %q from %v, want %q from %v", key, v, r.Source(key), w.value, w.source)
				}
			}
			for _, f := range app.Fields() {
				if _, set, _ := r.Settings.FieldValue(f.Key); !set {
					t.Errorf("Resolve() left %s unset; every field must be set", f.Key)
				}
			}
		})
	}
}

func TestSettingRowsShowInheritedValue(t *testing.T) {
	layers := []app.Layer{
		{Source: app.SourceProject, Settings: app.Settings{RDP: app.RDPSettings{Username: app.Some("proj-user")}}},
		{Source: app.SourceInstance, Settings: app.Settings{RDP: app.RDPSettings{Username: app.Some("vm-user"), Domain: app.Some("VM")}}},
		{Source: app.SourceProfile, Settings: app.Settings{RDP: app.RDPSettings{Username: app.Some("profile-user")}}},
	}
	rows := app.SettingRows(layers, app.SourceInstance)
	row := func(key string) app.SettingRow {
		t.Helper()
		i := slices.IndexFunc(rows, func(r app.SettingRow) bool { return r.Key == key })
		if i < 0 {
			t.Fatalf("SettingRows has no row %s", key)
		}
		return rows[i]
	}
	tests := []struct {
		key  string
		want app.SettingRow
	}{
		// Set at the edited (instance) level: the profile above does not
		// count, reset would give the project's value.
		{"rdp.username", app.SettingRow{Value: "vm-user", Source: app.SourceInstance, Local: true, Inherited: "proj-user", InheritedSource: app.SourceProject}},
		{"rdp.domain", app.SettingRow{Value: "VM", Source: app.SourceInstance, Local: true, Inherited: "", InheritedSource: app.SourceDefault}},
		{"rdp.audio", app.SettingRow{Value: "local", Source: app.SourceDefault, Local: false, Inherited: "local", InheritedSource: app.SourceDefault}},
	}
	for _, tc := range tests {
		got := row(tc.key)
		tc.want.Field = got.Field
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SettingRows row %s = %+v, want %+v", tc.key, got, tc.want)
		}
	}

	// "Reset to inherited" clears the field at the level.
	s := layers[1].Settings
	if err := s.ResetField("rdp.username"); err != nil {
		t.Fatal(err)
	}
	layers[1].Settings = s
	if got := row2(app.SettingRows(layers, app.SourceInstance), "rdp.username"); got.Value != "proj-user" || got.Source != app.SourceProject || got.Local {
		t.Errorf("after ResetField: row = %+v, want proj-user from Project, not local", got)
	}
}

func row2(rows []app.SettingRow, key string) app.SettingRow {
	for _, r := range rows {
		if r.Key == key {
			return r
		}
	}
	return app.SettingRow{}
}

func TestSetField(t *testing.T) {
	tests := []struct {
		key, value string
		want       string // the formatted value; "" with wantErr
		wantErr    bool
	}{
		{"rdp.username", "alice", "alice", false},
		{"rdp.username", "bad\nname", "", true},
		{"rdp.fullScreen", "TRUE", "true", false},
		{"rdp.fullScreen", "maybe", "", true},
		{"rdp.colorDepth", "24", "24", false},
		{"rdp.colorDepth", "8", "", true},
		{"rdp.width", "1920", "1920", false},
		{"rdp.width", "99999", "", true},
		{"rdp.audio", " Remote ", "remote", false},
		{"rdp.audio", "loud", "", true},
		{"rdp.certificate", "tofu", "tofu", false},
		{"ssh.keyType", "rsa", "rsa", false},
		{"ssh.keyType", "dsa", "", true},
		{"tunnel.localPort", "13389", "13389", false},
		{"tunnel.localPort", "-1", "", true},
		{"no.such", "x", "", true},
	}
	for _, tc := range tests {
		var s app.Settings
		err := s.SetField(tc.key, tc.value)
		if (err != nil) != tc.wantErr {
			t.Errorf("SetField(%q, %q) = %v, want error %v", tc.key, tc.value, err, tc.wantErr)
			continue
		}
		if tc.wantErr {
			if !s.IsEmpty() {
				t.Errorf("SetField(%q, %q) failed but set something: %+v", tc.key, tc.value, s)
			}
			continue
		}
		got, set, err := s.FieldValue(tc.key)
		if err != nil || !set || got != tc.want {
			t.Errorf("after SetField(%q, %q): FieldValue = %q, %v, %v; want %q, true", tc.key, tc.value, got, set, err, tc.want)
		}
	}
	var s app.Settings
	if err := s.SetField("no.such", "x"); !errors.Is(err, app.ErrUnknownSetting) {
		t.Errorf("SetField(unknown) = %v, want ErrUnknownSetting", err)
	}
}

func TestSettingsJSON(t *testing.T) {
	s := app.Settings{RDP: app.RDPSettings{Username: app.Some("alice"), FullScreen: app.Some(false), ColorDepth: app.Some(0)}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	// Set-but-zero values are kept (they override an inherited value);
	// unset ones and empty groups are left out.
	const want = `{"rdp":{"username":"alice","fullScreen":false,"colorDepth":0}}`
	if string(b) != want {
		t.Errorf("json.Marshal(%+v) = %s, want %s", s, b, want)
	}
	var back app.Settings
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != s {
		t.Errorf("round trip = %+v, want %+v", back, s)
	}
	if err := json.Unmarshal([]byte(`{"rdp":{"username":null,"width":1024}}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.RDP.Username.IsSet() || back.RDP.Width != app.Some(1024) {
		t.Errorf("null username / width 1024 decoded as %+v", back.RDP)
	}
	if err := json.Unmarshal([]byte(`{"rdp":{"width":"wide"}}`), &back); err == nil {
		t.Errorf("json.Unmarshal(width \"wide\") = nil, want a type error")
	}
}

func TestResolvedParams(t *testing.T) {
	r := app.Resolve(app.Layer{Source: app.SourceProfile, Settings: app.Settings{
		RDP: app.RDPSettings{Username: app.Some("alice"), Domain: app.Some("CORP"), FullScreen: app.Some(true),
			Width: app.Some(1280), Height: app.Some(800), ColorDepth: app.Some(32), Audio: app.Some(app.AudioRemote),
			Clipboard: app.Some(false), RedirectDrives: app.Some(true), Certificate: app.Some(app.CertificateTOFU)},
		SSH: app.SSHSettings{Username: app.Some("bob"), ProxyCommand: app.Some(true)},
	}})
	got := r.RDPParams()
	want := app.RDPParams{Username: "alice", Domain: "CORP", Options: platform.RDPOptions{
		FullScreen: true, Width: 1280, Height: 800, ColorDepth: 32, Audio: platform.AudioRemote, NoClipboard: true,
		Drives: []platform.Drive{{Name: "drives", Path: "*"}}, Cert: platform.CertTOFU,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RDPParams() = %+v, want %+v", got, want)
	}
	if got := app.Resolve().RDPParams(); !reflect.DeepEqual(got, app.RDPParams{}) {
		t.Errorf("RDPParams() of the defaults = %+v, want the zero value (platform's defaults)", got)
	}
	half := app.Resolve(app.Layer{Source: app.SourceProject, Settings: app.Settings{RDP: app.RDPSettings{Width: app.Some(1280)}}})
	if o := half.RDPParams().Options; o.Width != 0 || o.Height != 0 {
		t.Errorf("RDPParams() with only a width = %dx%d, want 0x0 (client default)", o.Width, o.Height)
	}
	if got, want := r.SSHParams(), (app.SSHParams{Username: "bob", ProxyCommand: true}); !reflect.DeepEqual(got, want) {
		t.Errorf("SSHParams() = %+v, want %+v", got, want)
	}
}

func TestFieldsCoverSettings(t *testing.T) {
	// Every leaf of Settings has a field (and so takes part in Resolve).
	count := 0
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for i := range ty.NumField() {
			f := ty.Field(i)
			if f.Type.Kind() == reflect.Struct && f.Type.NumField() > 0 && f.Type.Field(0).IsExported() {
				walk(f.Type)
				continue
			}
			count++
		}
	}
	walk(reflect.TypeOf(app.Settings{}))
	if n := len(app.Fields()); n != count {
		t.Errorf("len(Fields()) = %d, want %d (one per setting)", n, count)
	}
}
