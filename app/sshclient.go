package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"iapdesk/tunnel"
)

// SSHClientsConfig configures SSHClients.
type SSHClientsConfig struct {
	// Connector applies the connect policy (settings, key publishing, OS
	// Login user) to each request. Required.
	Connector *Connector
	// Dialer opens the tunnel each SSH connection runs over. Required.
	Dialer tunnel.ConnDialer
	// Passwords keeps saved SSH passwords and key passphrases; nil saves
	// none.
	Passwords *Credentials
	// KnownHostsFile is used when a request names none: the file the
	// system ssh uses too (the launcher's ConfigDir/known_hosts).
	KnownHostsFile string
	// OnChange is called, from any goroutine, when a connection opens or
	// ends. It must not block.
	OnChange func()
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// SSHClients is the embedded SSH use case: terminal tabs and SFTP panes in
// the window, and `iapdesk scp`. Each connection runs golang.org/x/crypto/ssh
// over a tunnel.Conn (no local listener), after the same connect policy as
// the system ssh (Connector.Prepare: settings, key publishing, OS Login
// user), and checks host keys in the same known_hosts file under the same
// alias (compute.<id>).
//
// Tabs to one VM share one tunnel: one SSH connection per VM, port and
// user, on which every tab opens its own session channel and every SFTP
// pane its own subsystem channel. One relay WebSocket then carries them
// all (what ssh's ControlMaster does), a second tab needs no second key
// publishing check, handshake or 2-step verification prompt, and a relay
// drop is resumed once for all of them by the tunnel.Conn. The connection
// closes when its last user releases it.
type SSHClients struct {
	cfg SSHClientsConfig
	log *slog.Logger

	// mu guards conns and closed.
	mu     sync.Mutex
	conns  map[sshConnKey]*sshConn
	closed bool

	wg sync.WaitGroup // one watcher per connection
}

type sshConnKey struct {
	Ref  InstanceRef
	Port int
	User string
}

// sshConn is one SSH connection shared by handles.
type sshConn struct {
	key     sshConnKey
	inst    Instance
	started time.Time
	ready   chan struct{} // closed once dialled (or failed)
	err     error         // set before ready is closed
	tc      *tunnel.Conn  // set before ready is closed
	client  *ssh.Client   // set before ready is closed
	refs    int           // guarded by SSHClients.mu
	release chan struct{} // closed by the last Close: the watcher closes the client
	relOnce sync.Once
	done    chan struct{} // closed when the connection has ended
	endErr  error         // set before done is closed
}

// NewSSHClients returns the embedded SSH use case.
func NewSSHClients(cfg SSHClientsConfig) (*SSHClients, error) {
	if cfg.Connector == nil || cfg.Dialer == nil {
		return nil, errors.New("app: SSHClientsConfig needs Connector and Dialer")
	}
	log := cmp.Or(cfg.Logger, slog.Default())
	return &SSHClients{cfg: cfg, log: log, conns: map[sshConnKey]*sshConn{}}, nil
}

// Open applies the connect policy to req as an SSH request (see
// Connector) and returns a handle on the SSH connection to its VM,
// connecting it or sharing the one already open. prompt asks for what the
// login needs (an unknown host key with StrictHostKeyChecking=ask, a
// password, 2-step verification); nil refuses those. Errors are *UserError
// values. Close the handle when done.
func (cs *SSHClients) Open(ctx context.Context, req Request, prompt SSHPrompter) (*SSHClient, error) {
	req.Protocol = ProtocolSSH
	req, err := cs.cfg.Connector.Prepare(ctx, req, nil)
	if err != nil {
		return nil, err
	}
	return cs.Dial(ctx, req, prompt)
}

// Dial is Open for a request the Connector has completed already (the
// Session of Connect with ssh.client=embedded): it does not publish the key
// again.
func (cs *SSHClients) Dial(ctx context.Context, req Request, prompt SSHPrompter) (*SSHClient, error) {
	key := sshConnKey{Ref: req.Instance.InstanceRef, Port: req.Port, User: req.SSH.Username}
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return nil, errors.New("app: ssh clients are shut down")
	}
	c, ok := cs.conns[key]
	if ok {
		select {
		case <-c.done:
			ok = false // ended: dial a new one
		default:
		}
	}
	if !ok {
		c = &sshConn{key: key, inst: req.Instance, ready: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
		cs.conns[key] = c
	}
	c.refs++
	cs.mu.Unlock()
	if !ok {
		cs.connect(ctx, c, req, prompt)
	}
	select {
	case <-c.ready:
	case <-ctx.Done():
		cs.releaseConn(c)
		return nil, ctx.Err()
	}
	if c.err != nil {
		cs.releaseConn(c)
		return nil, c.err
	}
	return &SSHClient{cs: cs, c: c, Request: req}, nil
}

// connect dials c and starts its watcher; it closes c.ready.
func (cs *SSHClients) connect(ctx context.Context, c *sshConn, req Request, prompt SSHPrompter) {
	defer close(c.ready)
	defer cs.changed()
	tc, client, err := cs.dial(ctx, req, prompt)
	if err != nil {
		c.err = err
		close(c.done)
		cs.forget(c)
		return
	}
	c.tc, c.client, c.started = tc, client, time.Now()
	cs.log.Info("ssh connected", slog.String("instance", req.Instance.Name), slog.String("username", req.SSH.Username))
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		ended := make(chan error, 1)
		go func() { ended <- client.Wait() }() // returns once the client is closed below at the latest
		var err error
		select {
		case err = <-ended:
			_ = client.Close()
			c.tc.Abort()
		case <-c.release:
			// Closing the client closes the tunnel (flushing what is
			// written) and ends client.Wait.
			_ = client.Close()
			<-ended
		}
		c.endErr = sshEndError(err)
		cs.log.Info("ssh disconnected", slog.String("instance", req.Instance.Name), slog.Any("error", c.endErr))
		close(c.done)
		cs.forget(c)
		cs.changed()
	}()
}

// dial opens the tunnel and logs in over it.
func (cs *SSHClients) dial(ctx context.Context, req Request, prompt SSHPrompter) (*tunnel.Conn, *ssh.Client, error) {
	inst := req.Instance
	t := tunnel.Target{Project: inst.Project, Zone: inst.Zone, Instance: inst.Name, Port: req.Port}
	tc, err := cs.cfg.Dialer.Dial(ctx, t)
	if err != nil {
		return nil, nil, cs.cfg.Connector.connectError(req, err)
	}
	// The handshake has no ctx of its own: ending ctx aborts the tunnel
	// under it.
	stop := context.AfterFunc(ctx, tc.Abort)
	defer stop()
	l := &sshLogin{cs: cs, req: req, prompt: prompt, ctx: ctx}
	cfg, err := l.config()
	if err != nil {
		tc.Abort()
		return nil, nil, err
	}
	conn, chans, reqs, err := ssh.NewClientConn(tc, net.JoinHostPort(HostKeyAlias(inst), "22"), cfg)
	if err != nil {
		tc.Abort()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, l.failed(err)
	}
	if err := l.succeeded(); err != nil {
		cs.log.Warn("ssh password not saved", slog.String("instance", inst.Name), slog.Any("error", err))
	}
	return tc, ssh.NewClient(conn, chans, reqs), nil
}

func (cs *SSHClients) forget(c *sshConn) {
	cs.mu.Lock()
	if cs.conns[c.key] == c {
		delete(cs.conns, c.key)
	}
	cs.mu.Unlock()
}

func (cs *SSHClients) changed() {
	if cs.cfg.OnChange != nil {
		cs.cfg.OnChange()
	}
}

// releaseConn ends one user's use of c; the last one closes it.
func (cs *SSHClients) releaseConn(c *sshConn) {
	cs.mu.Lock()
	c.refs--
	last := c.refs <= 0
	if last && cs.conns[c.key] == c {
		delete(cs.conns, c.key)
	}
	cs.mu.Unlock()
	if last {
		c.relOnce.Do(func() { close(c.release) })
	}
}

// SSHConnInfo describes an open embedded SSH connection, for the quit
// confirmation and the tunnels panel.
type SSHConnInfo struct {
	Instance InstanceRef
	Port     int
	Username string
	Started  time.Time
	Users    int // terminal tabs, SFTP panes and copies using it
	// Reconnecting reports that the relay dropped and the tunnel is
	// resuming the session.
	Reconnecting bool
	BytesUp      uint64
	BytesDown    uint64
}

// List returns the open connections, ordered by VM.
func (cs *SSHClients) List() []SSHConnInfo {
	cs.mu.Lock()
	var out []SSHConnInfo
	for _, c := range cs.conns {
		if !isClosed(c.ready) || c.err != nil || c.refs <= 0 {
			continue
		}
		st := c.tc.Stats()
		out = append(out, SSHConnInfo{Instance: c.key.Ref, Port: c.key.Port, Username: c.key.User, Started: c.started,
			Users: c.refs, Reconnecting: c.tc.Reconnecting(), BytesUp: st.BytesSent, BytesDown: st.BytesReceived})
	}
	cs.mu.Unlock()
	slices.SortFunc(out, func(a, b SSHConnInfo) int {
		return strings.Compare(fmt.Sprint(a.Instance, a.Port, a.Username), fmt.Sprint(b.Instance, b.Port, b.Username))
	})
	return out
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Shutdown closes every connection (their sessions end) and waits for
// them. It does not wait on the network.
func (cs *SSHClients) Shutdown() {
	cs.mu.Lock()
	cs.closed = true
	list := slices.Collect(maps.Values(cs.conns))
	cs.mu.Unlock()
	for _, c := range list {
		<-c.ready
		if c.tc != nil {
			c.tc.Abort()
		}
	}
	cs.wg.Wait()
}

// SSHClient is one user's handle on a shared SSH connection: it opens
// shells and SFTP sessions on it. Close releases it.
type SSHClient struct {
	// Request is the completed request the connection was made for.
	Request Request

	cs   *SSHClients
	c    *sshConn
	once sync.Once
}

// Close releases the handle; the connection closes with its last handle.
// Sessions opened on it end then. It does not wait on the network.
func (h *SSHClient) Close() { h.once.Do(func() { h.cs.releaseConn(h.c) }) }

// Done is closed when the connection has ended (for every handle).
func (h *SSHClient) Done() <-chan struct{} { return h.c.done }

// Err is why the connection ended, nil when it was closed; valid after
// Done. It wraps tunnel.ErrSessionLost when the relay could not be resumed.
func (h *SSHClient) Err() error { return h.c.endErr }

// Reconnecting reports that the relay dropped and the tunnel is resuming
// the session: the terminal says "reconnecting…", nothing is lost.
func (h *SSHClient) Reconnecting() bool { return h.c.tc.Reconnecting() }

// sshEndError is why a connection ended: nil for a normal end or a close,
// else the tunnel's failure (tunnel.ErrSessionLost, a relay close code) or
// ssh's.
func sshEndError(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, tunnel.ErrClosed) {
		return nil
	}
	return err
}
