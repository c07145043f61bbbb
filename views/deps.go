package views

import (
	"context"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/platform"
)

// The window reaches package app through these interfaces. *app.Explorer,
// *app.Tunnels, *app.Connector, *app.ResourceManager and *app.Accounts
// implement them; tests may pass small fakes.

// TreeModel is what the project tree shows: the filtered inventory, and the
// expansion and selection to restore after a reload.
type TreeModel interface {
	Inventory() *app.Inventory
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

// Connecter opens tunnels and launches clients.
type Connecter interface {
	Connect(ctx context.Context, req app.Request) (*app.Session, error)
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

var (
	_ Explorer      = (*app.Explorer)(nil)
	_ Connecter     = (*app.Connector)(nil)
	_ TunnelList    = (*app.Tunnels)(nil)
	_ ProjectFinder = (*app.ResourceManager)(nil)
	_ Accounts      = (*app.Accounts)(nil)
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
	// SSH are the defaults of every SSH connection: user name, key,
	// known_hosts.
	SSH app.SSHParams
	// Apps are the client applications "Connect to port…" offers; nil
	// means platform.BuiltinApps().
	Apps []platform.App
	// Close releases the services (it shuts the tunnels down and waits);
	// nil when there is nothing to release. The window calls it once, off
	// the UI thread, when it closes or the account changes.
	Close func()
}
