package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"iapdesk/internal/gcename"
	"iapdesk/internal/proxyreq"
	"iapdesk/tunnel"
)

// ErrNoRoute reports a gateway host that names no VM: not
// INSTANCE.ZONE.PROJECT, and no loaded VM has that name or internal IP.
var ErrNoRoute = errors.New("no VM by that name or address")

// ErrAmbiguousRoute reports a gateway host that names several loaded VMs
// (the same name in two zones or projects, or the same internal IP in two
// networks).
var ErrAmbiguousRoute = errors.New("several VMs by that name or address")

// RouteError is a gateway host that does not resolve to one VM. It
// unwraps to ErrNoRoute or ErrAmbiguousRoute.
type RouteError struct {
	Host    string
	Matches []InstanceRef // the VMs it names, when ambiguous
	Err     error
}

func (e *RouteError) Error() string {
	if len(e.Matches) > 0 {
		names := make([]string, len(e.Matches))
		for i, m := range e.Matches {
			names[i] = m.Name + "." + m.Zone + "." + m.Project
		}
		return fmt.Sprintf("%s: %v: %s", e.Host, e.Err, strings.Join(names, ", "))
	}
	return fmt.Sprintf("%s: %v", e.Host, e.Err)
}

func (e *RouteError) Unwrap() error { return e.Err }

// LoadedInstances are the VMs of the loaded projects (*Explorer).
type LoadedInstances interface {
	Unfiltered() *Inventory
}

var _ LoadedInstances = (*Explorer)(nil)

// router resolves gateway hosts to VMs.
type router struct {
	instances LoadedInstances // nil: INSTANCE.ZONE.PROJECT only
	reload    func(ctx context.Context) error
	every     time.Duration

	// mu guards lastReload; reloading serialises reloads.
	mu         sync.Mutex
	lastReload time.Time
	reloading  sync.Mutex
}

// resolve names the VM host stands for:
//
//   - INSTANCE.ZONE.PROJECT: the VM itself, without an API call;
//   - INSTANCE: the loaded VM of that name, when there is one only;
//   - an IP address: the loaded VM with that internal IP (nic0).
//
// A name or address not found reloads the inventory (at most once per
// ReloadEvery) and looks again.
func (r *router) resolve(ctx context.Context, host string) (InstanceRef, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if parts := strings.Split(host, "."); len(parts) == 3 &&
		gcename.IsInstance(parts[0]) && gcename.IsName(parts[1]) && gcename.IsProjectID(parts[2]) {
		return InstanceRef{Project: parts[2], Zone: parts[1], Name: parts[0]}, nil
	}
	ref, err := r.lookup(host)
	if errors.Is(err, ErrNoRoute) && r.reload != nil && r.mayReload() {
		r.reloading.Lock()
		rerr := r.reload(ctx)
		r.reloading.Unlock()
		if rerr == nil {
			ref, err = r.lookup(host)
		}
	}
	return ref, err
}

// mayReload reports whether a reload is due, and counts this one.
func (r *router) mayReload() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.lastReload.IsZero() && time.Since(r.lastReload) < r.every {
		return false
	}
	r.lastReload = time.Now()
	return true
}

// lookup finds host, a name or an internal IP, among the loaded VMs.
func (r *router) lookup(host string) (InstanceRef, error) {
	if r.instances == nil {
		return InstanceRef{}, &RouteError{Host: host, Err: ErrNoRoute}
	}
	inv := r.instances.Unfiltered()
	if inv == nil {
		return InstanceRef{}, &RouteError{Host: host, Err: ErrNoRoute}
	}
	ip, ipErr := netip.ParseAddr(host)
	var matches []InstanceRef
	for _, p := range inv.Projects {
		for _, z := range p.Zones {
			for _, in := range z.Instances {
				switch {
				case ipErr == nil:
					if a, err := netip.ParseAddr(in.InternalIP); err == nil && a == ip {
						matches = append(matches, in.InstanceRef)
					}
				case in.Name == host:
					matches = append(matches, in.InstanceRef)
				}
			}
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return InstanceRef{}, &RouteError{Host: host, Err: ErrNoRoute}
	}
	return InstanceRef{}, &RouteError{Host: host, Matches: matches, Err: ErrAmbiguousRoute}
}

// gatewayReply is the proxy answer for a failed route or tunnel, and the
// reason given to an HTTP client: what app says of the failure.
func gatewayReply(key TunnelKey, err error) (proxyreq.Reply, string) {
	var re *RouteError
	if errors.As(err, &re) {
		why := fmt.Sprintf("%s names no VM of the loaded projects; use INSTANCE.ZONE.PROJECT", re.Host)
		if errors.Is(err, ErrAmbiguousRoute) {
			why = fmt.Sprintf("%s names several VMs; use INSTANCE.ZONE.PROJECT", re.Host)
		}
		return proxyreq.HostUnreachable, why
	}
	rep := proxyreq.GeneralFailure
	switch {
	case errors.Is(err, tunnel.ErrNotAuthorized), errors.Is(err, tunnel.ErrUpgradeForbidden), errors.Is(err, tunnel.ErrUnauthenticated):
		rep = proxyreq.NotAllowed
	case errors.Is(err, tunnel.ErrInstanceNotFound):
		rep = proxyreq.HostUnreachable
	case errors.Is(err, tunnel.ErrBackendUnreachable):
		rep = proxyreq.ConnectionRefused
	case errors.Is(err, tunnel.ErrNoAnswer), errors.Is(err, context.DeadlineExceeded):
		rep = proxyreq.TTLExpired
	case errors.Is(err, tunnel.ErrRelay), errors.Is(err, tunnel.ErrNotRelay), errors.Is(err, tunnel.ErrUntrustedCertificate):
		rep = proxyreq.NetworkUnreachable
	}
	ue := ConnectError(key.Ref, key.Port, err)
	return rep, ue.What + ": " + ue.Why
}
