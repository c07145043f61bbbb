package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"iapdesk/platform"
	"iapdesk/tunnel"
)

// TunnelOptions are the settings of `iapdesk tunnel`, gcloud compute
// start-iap-tunnel's flags.
type TunnelOptions struct {
	Target tunnel.Target
	// LocalHostPort is where to listen, HOST:PORT; "" means localhost:0, a
	// free port on 127.0.0.1.
	LocalHostPort string
	// ListenOnStdin forwards one connection over stdin/stdout (for ssh's
	// ProxyCommand) instead of listening.
	ListenOnStdin bool
	// DisableConnectionCheck skips the test connection before listening.
	DisableConnectionCheck bool
	// Dialer reaches the relay with the credentials' tokens (the
	// composition root's: desk.Desk.Dialer). Required.
	Dialer tunnel.ConnDialer
	// Watch, if set, reports resumes from sleep and network changes, on
	// which the tunnels probe their relay connections and resume at once
	// (ResumeOnChange); the composition root's is desk.Desk.Watcher.
	Watch NetWatcher
	// Logger receives events; nil means slog.Default().
	Logger *slog.Logger
}

// Stdio is a command's standard streams.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// ParseLocalHostPort parses --local-host-port: HOST:PORT, HOST:, :PORT, a
// bare PORT (digits only, as gcloud accepts "2222") or a bare HOST
// (including an unbracketed IPv6 address). HOST defaults to localhost,
// which listens on 127.0.0.1 only; PORT defaults to 0, a free port. IPv6
// addresses with a port are bracketed: [::1]:2222.
func ParseLocalHostPort(s string) (string, error) {
	if s == "" {
		s = "localhost:0"
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		switch {
		case isDigits(s):
			host, port = "", s
		case !strings.Contains(s, ":") || net.ParseIP(s) != nil:
			host, port = s, "0"
		default:
			return "", fmt.Errorf("--local-host-port %q: want HOST:PORT or PORT, e.g. localhost:2222 (%v)", s, err)
		}
	}
	if port == "" {
		port = "0"
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 || !isDigits(port) {
		return "", fmt.Errorf("--local-host-port %q: port %q is not a number in 0-65535", s, port)
	}
	switch host {
	case "", "localhost":
		host = "127.0.0.1"
	}
	if _, err := netip.ParseAddr(host); err != nil && !validHost(host) {
		return "", fmt.Errorf("--local-host-port %q: host %q is not an IP address or a host name", s, host)
	}
	return net.JoinHostPort(host, port), nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// listenWarning is what `iapdesk tunnel` prints when its port, bound at
// addr, can be reached from other computers: any address but a loopback
// one. It returns "" for a loopback address.
func listenWarning(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("Warning: listening on %s, which is not a loopback address: other computers on the network "+
		"can connect to this port. Use --local-host-port=localhost:PORT to accept connections from this computer only.", addr)
}

// RunTunnel is `iapdesk tunnel`: it forwards a local port (or stdin/stdout)
// to the target until ctx is done or, with stdin, the connection ends.
//
// A tunnel that fails is a *UserError (TunnelError): returned when it ends
// the command (the connection check, or the stdin connection), and written
// to stdio.Err, with its fix, when it ends one of the listener's
// connections, which is reset; the listener goes on.
func RunTunnel(ctx context.Context, o TunnelOptions, stdio Stdio) error {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := o.Target.Validate(); err != nil {
		return err
	}
	addr := ""
	if !o.ListenOnStdin {
		var err error
		if addr, err = ParseLocalHostPort(o.LocalHostPort); err != nil {
			return err
		}
	}
	d := o.Dialer
	if d == nil {
		return errors.New("run tunnel: TunnelOptions.Dialer is nil")
	}

	if o.ListenOnStdin {
		c, err := d.Dial(ctx, o.Target)
		if err != nil {
			return tunnelCmdError(ctx, o.Target, err)
		}
		stop := context.AfterFunc(ctx, c.Abort)
		defer stop()
		defer resumeOnChange(ctx, o.Watch, c, log)()
		return tunnelCmdError(ctx, o.Target, tunnel.Pipe(c, stdioConn{in: stdio.In, out: stdio.Out}))
	}
	var errMu sync.Mutex // one report at a time from concurrent connections

	if !o.DisableConnectionCheck {
		fmt.Fprintln(stdio.Err, "Testing if tunnel connection works.")
	}
	f, err := tunnel.NewForwarder(ctx, tunnel.ForwarderConfig{
		Dialer:          d,
		Target:          o.Target,
		Addr:            addr,
		CheckConnection: !o.DisableConnectionCheck,
		AllowPeer:       platform.PeerIsSameUser,
		OnError: func(err error) {
			errMu.Lock()
			defer errMu.Unlock()
			writeUserError(stdio.Err, TunnelError(o.Target, err))
		},
		Logger: log,
	})
	if err != nil {
		return tunnelCmdError(ctx, o.Target, err)
	}
	fmt.Fprintf(stdio.Err, "Listening on port [%d].\n", f.Port())
	if w := listenWarning(f.Addr()); w != "" {
		fmt.Fprintln(stdio.Err, w)
	}
	stopResume := resumeOnChange(ctx, o.Watch, f, log)
	err = f.Serve(ctx)
	stopResume()
	if err == nil && ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.Canceled) {
		err = context.Cause(ctx)
	}
	return err
}

// resumeOnChange runs ResumeOnChange over p with watch (nothing when
// watch is nil) until the returned stop is called; stop waits for it.
func resumeOnChange(ctx context.Context, watch NetWatcher, p Prober, log *slog.Logger) (stop func()) {
	if watch == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ResumeOnChange(ctx, ResumeConfig{Watch: watch, Probe: p, Logger: log}); err != nil {
			log.Debug("network changes are not watched", slog.Any("error", err))
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// tunnelCmdError explains a tunnel failure that ends `iapdesk tunnel`
// (TunnelError). Errors of its own making pass through: the end of ctx, a
// local port that cannot be listened on, stdin or stdout failing.
func tunnelCmdError(ctx context.Context, t tunnel.Target, err error) error {
	var op *net.OpError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()),
		errors.As(err, &op) && op.Op == "listen",
		!fromRelay(err) && !fromAuth(err) && networkFailure("", err, onCommandLine) == nil: // the token source fails inside a dial
		return err
	}
	return TunnelError(t, err)
}

// fromRelay reports whether err is one of the tunnel package's failures.
func fromRelay(err error) bool {
	var ce *tunnel.CloseError
	var he *tunnel.HandshakeError
	var cert *tunnel.CertificateError
	if errors.As(err, &ce) || errors.As(err, &he) || errors.As(err, &cert) {
		return true
	}
	for _, s := range []error{tunnel.ErrSessionLost, tunnel.ErrNoAnswer, tunnel.ErrRelay, tunnel.ErrProtocol, tunnel.ErrNotRelay} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// stdioConn joins stdin and stdout into the stream tunnel.Pipe forwards.
type stdioConn struct {
	in  io.Reader
	out io.Writer
}

func (s stdioConn) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s stdioConn) Write(p []byte) (int, error) { return s.out.Write(p) }

// Close closes stdout, if it can be, so the reading side sees EOF.
func (s stdioConn) Close() error {
	if c, ok := s.out.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
