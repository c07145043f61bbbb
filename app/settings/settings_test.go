package settings_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"iapdesk/app/settings"
	"iapdesk/platform"
)

func TestResolveInheritance(t *testing.T) {
	project := settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("proj-user"), Domain: settings.Some("CORP"), ColorDepth: settings.Some(16)},
		Tunnel: settings.TunnelSettings{KeepOpen: settings.Some(true)}}
	zone := settings.Settings{RDP: settings.RDPSettings{ColorDepth: settings.Some(24), Audio: settings.Some(platform.AudioOff)}}
	instance := settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("vm-user"), Clipboard: settings.Some(false)}}
	profile := settings.Settings{RDP: settings.RDPSettings{Clipboard: settings.Some(true), FullScreen: settings.Some(true)},
		Tunnel: settings.TunnelSettings{KeepOpen: settings.Some(false)}}
	all := []settings.Layer{
		{Source: settings.SourceProject, Settings: project},
		{Source: settings.SourceZone, Settings: zone},
		{Source: settings.SourceInstance, Settings: instance},
		{Source: settings.SourceProfile, Settings: profile},
	}
	type want struct {
		value  string
		source settings.Source
	}
	tests := []struct {
		name   string
		layers []settings.Layer
		want   map[string]want
	}{
		{"defaults only", nil, map[string]want{
			"rdp.username": {"", settings.SourceDefault}, "rdp.clipboard": {"true", settings.SourceDefault},
			"rdp.audio": {"local", settings.SourceDefault}, "ssh.keyType": {"ed25519", settings.SourceDefault},
			"tunnel.keepOpen": {"false", settings.SourceDefault},
		}},
		{"project only", all[:1], map[string]want{
			"rdp.username": {"proj-user", settings.SourceProject}, "rdp.domain": {"CORP", settings.SourceProject},
			"rdp.colorDepth": {"16", settings.SourceProject}, "rdp.audio": {"local", settings.SourceDefault},
		}},
		{"zone overrides project", all[:2], map[string]want{
			"rdp.username": {"proj-user", settings.SourceProject}, "rdp.colorDepth": {"24", settings.SourceZone},
			"rdp.audio": {"off", settings.SourceZone},
		}},
		{"instance overrides zone and project", all[:3], map[string]want{
			"rdp.username": {"vm-user", settings.SourceInstance}, "rdp.domain": {"CORP", settings.SourceProject},
			"rdp.clipboard": {"false", settings.SourceInstance}, "rdp.colorDepth": {"24", settings.SourceZone},
		}},
		{"profile wins", all, map[string]want{
			"rdp.username": {"vm-user", settings.SourceInstance}, "rdp.clipboard": {"true", settings.SourceProfile},
			"rdp.fullScreen": {"true", settings.SourceProfile}, "tunnel.keepOpen": {"false", settings.SourceProfile},
			"rdp.audio": {"off", settings.SourceZone},
		}},
		{"argument order does not matter", []settings.Layer{all[3], all[0], all[2], all[1]}, map[string]want{
			"rdp.username": {"vm-user", settings.SourceInstance}, "rdp.clipboard": {"true", settings.SourceProfile},
			"rdp.colorDepth": {"24", settings.SourceZone},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := settings.Resolve(tc.layers...)
			for key, w := range tc.want {
				v, set, err := r.Settings.FieldValue(key)
				if err != nil || !set {
					t.Fatalf("Resolve().FieldValue(%q) = %q, %v, %v; want a set value", key, v, set, err)
				}
				if v != w.value || r.Source(key) != w.source {
					t.Errorf("Resolve() %s = %q from %v, want %q from %v", key, v, r.Source(key), w.value, w.source)
				}
			}
			for _, f := range settings.Fields() {
				if _, set, _ := r.Settings.FieldValue(f.Key); !set {
					t.Errorf("Resolve() left %s unset; every field must be set", f.Key)
				}
			}
		})
	}
}

func TestRowsShowInheritedValue(t *testing.T) {
	layers := []settings.Layer{
		{Source: settings.SourceProject, Settings: settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("proj-user")}}},
		{Source: settings.SourceInstance, Settings: settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("vm-user"), Domain: settings.Some("VM")}}},
		{Source: settings.SourceProfile, Settings: settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("profile-user")}}},
	}
	rows := settings.Rows(layers, settings.SourceInstance)
	row := func(key string) settings.Row {
		t.Helper()
		i := slices.IndexFunc(rows, func(r settings.Row) bool { return r.Key == key })
		if i < 0 {
			t.Fatalf("Rows has no row %s", key)
		}
		return rows[i]
	}
	tests := []struct {
		key  string
		want settings.Row
	}{
		// Set at the edited (instance) level: the profile above does not
		// count, reset would give the project's value.
		{"rdp.username", settings.Row{Value: "vm-user", Source: settings.SourceInstance, Local: true, Inherited: "proj-user", InheritedSource: settings.SourceProject}},
		{"rdp.domain", settings.Row{Value: "VM", Source: settings.SourceInstance, Local: true, Inherited: "", InheritedSource: settings.SourceDefault}},
		{"rdp.audio", settings.Row{Value: "local", Source: settings.SourceDefault, Local: false, Inherited: "local", InheritedSource: settings.SourceDefault}},
	}
	for _, tc := range tests {
		got := row(tc.key)
		tc.want.Field = got.Field
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Rows row %s = %+v, want %+v", tc.key, got, tc.want)
		}
	}

	// "Reset to inherited" clears the field at the level.
	s := layers[1].Settings
	if err := s.ResetField("rdp.username"); err != nil {
		t.Fatal(err)
	}
	layers[1].Settings = s
	if got := row2(settings.Rows(layers, settings.SourceInstance), "rdp.username"); got.Value != "proj-user" || got.Source != settings.SourceProject || got.Local {
		t.Errorf("after ResetField: row = %+v, want proj-user from Project, not local", got)
	}
}

func row2(rows []settings.Row, key string) settings.Row {
	for _, r := range rows {
		if r.Key == key {
			return r
		}
	}
	return settings.Row{}
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
		var s settings.Settings
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
	var s settings.Settings
	if err := s.SetField("no.such", "x"); !errors.Is(err, settings.ErrUnknownKey) {
		t.Errorf("SetField(unknown) = %v, want ErrUnknownKey", err)
	}
}

func TestSettingsJSON(t *testing.T) {
	s := settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("alice"), FullScreen: settings.Some(false), ColorDepth: settings.Some(0)}}
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
	var back settings.Settings
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != s {
		t.Errorf("round trip = %+v, want %+v", back, s)
	}
	if err := json.Unmarshal([]byte(`{"rdp":{"username":null,"width":1024}}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.RDP.Username.IsSet() || back.RDP.Width != settings.Some(1024) {
		t.Errorf("null username / width 1024 decoded as %+v", back.RDP)
	}
	if err := json.Unmarshal([]byte(`{"rdp":{"width":"wide"}}`), &back); err == nil {
		t.Errorf("json.Unmarshal(width \"wide\") = nil, want a type error")
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
	walk(reflect.TypeOf(settings.Settings{}))
	if n := len(settings.Fields()); n != count {
		t.Errorf("len(Fields()) = %d, want %d (one per setting)", n, count)
	}
}
