package views

import (
	"context"

	"iapdesk/app"
)

// SSHSessions opens embedded SSH connections for terminal tabs and the
// SFTP pane (app.SSHClients): Dial for a request the Connector completed
// (Connect's embedded Session), Open for one it has not (Reconnect).
type SSHSessions interface {
	Open(ctx context.Context, req app.Request, prompt app.SSHPrompter) (*app.SSHClient, error)
	Dial(ctx context.Context, req app.Request, prompt app.SSHPrompter) (*app.SSHClient, error)
}

var _ SSHSessions = (*app.SSHClients)(nil)
