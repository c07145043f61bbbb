package views

import (
	"context"

	"iapdesk/app"
	"iapdesk/app/settings"
	"iapdesk/auth"
	"iapdesk/platform"
)

// The window reaches package app through these interfaces. *app.Explorer,
// *app.Tunnels, *app.Connector, *app.Accounts and *app.Profiles implement
// them, *gce.ResourceManager and *gce.WindowsCredentialGenerator the
// search and the generator (main wires those in); tests may pass small
// fakes.

// TreeModel is what the project tree shows: the filtered inventory, and the
// expansion and selection to restore after a reload. Unfiltered is every
// loaded VM, for connections that are not made from the tree.
type TreeModel interface {
	Inventory() *app.Inventory
	Unfiltered() *app.Inventory
	TreeState() app.TreeState
}

// TreeRecorder keeps the user's expansion and selection across reloads.
type TreeRecorder interface {
	SetExpanded(id app.NodeID, open bool)
	Select(id app.NodeID)
}

// Filterer reads and changes the tree's filter.
type Filterer interface {
	Filter() app.Filter
	SetFilter(f app.Filter)
}

// Reloader reloads all projects, or one.
type Reloader interface {
	Refresh(ctx context.Context) error
	RefreshProject(ctx context.Context, id string) error
}

// ProjectEditor adds projects to the explorer and removes them.
type ProjectEditor interface {
	AddProjects(ctx context.Context, ps ...app.ProjectInfo) error
	RemoveProject(ctx context.Context, id string) error
}

// PowerSwitch starts, stops and resets VMs.
type PowerSwitch interface {
	Start(ctx context.Context, ref app.InstanceRef) error
	Stop(ctx context.Context, ref app.InstanceRef) error
	Reset(ctx context.Context, ref app.InstanceRef) error
}

// SerialSource reads a VM's serial port output.
type SerialSource interface {
	SerialOutput(ctx context.Context, ref app.InstanceRef, port int, start int64) (app.SerialOutput, error)
}

// Explorer is the project explorer use case as the window uses it.
type Explorer interface {
	TreeModel
	TreeRecorder
	Filterer
	Reloader
	ProjectEditor
	PowerSwitch
	SerialSource
}

// Connecter completes a connect request from the saved settings, asking
// prompt for missing RDP credentials, then opens the tunnel and launches
// the client (app.Connector).
type Connecter interface {
	Connect(ctx context.Context, req app.Request, prompt app.CredentialPrompter) (*app.Session, error)
}

// TunnelList lists the open tunnels and closes one.
type TunnelList interface {
	List() []app.TunnelInfo
	Close(key app.TunnelKey)
}

// ProjectFinder searches the projects the user can add.
type ProjectFinder interface {
	SearchProjects(ctx context.Context, query string, max int) (app.ProjectSearch, error)
}

// SignInFlow signs a Google account in through the browser.
type SignInFlow interface {
	SignIn(ctx context.Context, hint string) (auth.Account, error)
}

// AccountList lists the signed-in accounts, switches and signs out.
type AccountList interface {
	List(ctx context.Context) ([]auth.Account, error)
	Switch(ctx context.Context, email string) error
	SignOut(ctx context.Context, email string) (string, error)
}

// Accounts is the account use case as the window uses it.
type Accounts interface {
	SignInFlow
	AccountList
}

// ProfileReader lists the saved connections and reads one.
type ProfileReader interface {
	List(ctx context.Context) ([]app.Profile, error)
	Get(ctx context.Context, id string) (app.Profile, error)
}

// ProfileWriter adds, changes and deletes saved connections.
type ProfileWriter interface {
	Add(ctx context.Context, p app.Profile) (app.Profile, error)
	Update(ctx context.Context, p app.Profile) error
	Delete(ctx context.Context, id string) error
}

// ProfileCopier duplicates, imports and exports saved connections.
type ProfileCopier interface {
	Duplicate(ctx context.Context, id string) (app.Profile, error)
	Import(ctx context.Context, data []byte) ([]app.Profile, error)
	Export(ctx context.Context, ids ...string) ([]byte, error)
}

// SettingsEditor reads the settings levels of a connection and saves one
// project, zone or VM level.
type SettingsEditor interface {
	Layers(ctx context.Context, ref app.InstanceRef, profileID string) ([]settings.Layer, error)
	SaveSettings(ctx context.Context, scope settings.Scope, s settings.Settings) error
}

// WindowsCredentialSaver remembers generated Windows credentials for a VM
// or a profile.
type WindowsCredentialSaver interface {
	SaveWindowsCredentials(ctx context.Context, profileID string, wc app.WindowsCredentials) error
}

// Profiles is the saved connections and settings use case as the window
// uses it.
type Profiles interface {
	ProfileReader
	ProfileWriter
	ProfileCopier
	SettingsEditor
	WindowsCredentialSaver
}

// WindowsPasswordGenerator creates or resets a Windows account through the
// VM's guest agent.
type WindowsPasswordGenerator interface {
	Generate(ctx context.Context, req app.WindowsCredentialRequest) (app.WindowsCredentials, error)
}

var _ Profiles = (*app.Profiles)(nil)

var (
	_ Explorer   = (*app.Explorer)(nil)
	_ Connecter  = (*app.Connector)(nil)
	_ TunnelList = (*app.Tunnels)(nil)
	_ Accounts   = (*app.Accounts)(nil)
)

// Services are what the window works with once credentials are available.
type Services struct {
	Explorer  Explorer   // required
	Tunnels   TunnelList // required
	Connector Connecter  // required
	// Projects searches projects for "Add project"; nil allows adding by
	// ID only.
	Projects ProjectFinder
	// Credentials says which credentials are in use, for the status bar.
	Credentials auth.Description
	// Network says how Google is reached (the device certificate, the
	// proxy), for the status bar.
	Network NetworkInfo

	// Profiles are the saved connections and the inherited settings; nil
	// hides the Saved connections tab and Settings…. (Connections resolve
	// the settings in the Connector.)
	Profiles Profiles
	// WindowsCredentials generates Windows passwords ("Generate Windows
	// credentials…"); nil hides the command.
	WindowsCredentials WindowsPasswordGenerator
	// SSH runs SSH sessions in terminal tabs (ssh.client=embedded); nil
	// launches the system terminal for every SSH connection.
	SSH SSHSessions
	// Apps are the client applications "Connect to port…" offers; nil
	// means platform.BuiltinApps().
	Apps []platform.App
	// Close releases the services (it shuts the tunnels down and waits);
	// nil when there is nothing to release. The window calls it once, off
	// the UI thread, when it closes or the account changes.
	Close func()
	// SSHConfig writes ~/.ssh/iapdesk.config (File → Write ssh config…),
	// Gateway is `iapdesk gateway` (File → Gateway), Tray keeps what
	// closing the window does while tunnels are open; nil hides each.
	SSHConfig SSHConfigWriter
	Gateway   GatewayServer
	Tray      TrayChoiceStore
}
