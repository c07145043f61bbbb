package app

import (
	"context"
	"errors"
	"fmt"
)

// ErrUnsupportedTarget reports a profile whose target the connect use case
// cannot reach yet (on-premises hosts: Request only carries a VM).
var ErrUnsupportedTarget = errors.New("unsupported connection target")

// Request builds the connect request of the saved profile id: its target
// (looked up in inv for the VM's OS and state; inv may be nil), protocol and
// port, the settings resolved project → zone → instance → profile, and the
// RDP password saved for the profile or else for the VM. Hand it to
// Connector.Connect; without a saved password Connect asks for credentials
// (ErrCredentialsRequired).
func (ps *Profiles) Request(ctx context.Context, id string, inv *Inventory) (Request, error) {
	doc, err := ps.store.Load(ctx)
	if failed(err) {
		return Request{}, err
	}
	p, ok := doc.Profile(id)
	if !ok {
		return Request{}, notFound(id)
	}
	if p.Target.OnPrem() {
		return Request{}, &UserError{What: fmt.Sprintf("Cannot connect to %s", p.Name),
			Why: "connections to on-premises hosts cannot be started from a profile yet",
			Fix: fmt.Sprintf("Use `iapdesk tunnel --project=%s --region=%s --network=%s --dest-group=%s %s %d`.",
				p.Target.Project, p.Target.Region, p.Target.Network, p.Target.DestGroup, p.Target.Host, p.Port()),
			Err: ErrUnsupportedTarget}
	}
	ref := p.Target.InstanceRef()
	layers := append(doc.Settings.Layers(ref), Layer{Source: SourceProfile, Settings: p.Settings})
	inst := lookupInstance(inv, ref, p.Protocol.Protocol())
	return ps.build(ctx, inst, p.Protocol.Protocol(), p.RemotePort, layers, ProfileSecret(p.ID), InstanceSecret(ref))
}

// InstanceRequest builds the request of a plain Connect on a VM (no
// profile): the VM's settings levels and the password saved for it.
// ProtocolAuto picks RDP for Windows and SSH for Linux; port 0 is the
// protocol's default.
func (ps *Profiles) InstanceRequest(ctx context.Context, inst Instance, protocol Protocol, port int) (Request, error) {
	doc, err := ps.store.Load(ctx)
	if failed(err) {
		return Request{}, err
	}
	return ps.build(ctx, inst, protocol, port, doc.Settings.Layers(inst.InstanceRef), InstanceSecret(inst.InstanceRef))
}

// URLRequest builds the request of an iap-rdp:/// link: the VM's saved
// settings overridden by the link's, and the password saved for the VM.
func (ps *Profiles) URLRequest(ctx context.Context, u IAPRDPURL, inv *Inventory) (Request, error) {
	doc, err := ps.store.Load(ctx)
	if failed(err) {
		return Request{}, err
	}
	layers := append(doc.Settings.Layers(u.Instance), Layer{Source: SourceURL, Settings: u.Settings})
	inst := lookupInstance(inv, u.Instance, ProtocolRDP)
	return ps.build(ctx, inst, ProtocolRDP, u.Port, layers, InstanceSecret(u.Instance))
}

// lookupInstance returns the VM from inv, or a VM known only by its ref
// (state unknown, so Connect does not refuse it; OS guessed from the
// protocol).
func lookupInstance(inv *Inventory, ref InstanceRef, protocol Protocol) Instance {
	if inv != nil {
		if in, ok := inv.Instance(ref); ok {
			return *in
		}
	}
	inst := Instance{InstanceRef: ref, OS: OSLinux}
	if protocol == ProtocolRDP {
		inst.OS = OSWindows
	}
	return inst
}

func (ps *Profiles) build(ctx context.Context, inst Instance, protocol Protocol, port int, layers []Layer, keys ...SecretKey) (Request, error) {
	r := Resolve(layers...)
	req := Request{Instance: inst, Protocol: protocol, Port: port, KeepOpen: r.Settings.Tunnel.KeepOpen.Value(),
		LocalPort: r.Settings.Tunnel.LocalPort.Value()}
	req = req.resolve()
	switch req.Protocol {
	case ProtocolRDP:
		req.RDP = r.RDPParams()
		if ps.creds != nil && req.RDP.Username != "" {
			pw, _, err := ps.creds.RDPPassword(ctx, keys...)
			if err != nil {
				return Request{}, err
			}
			req.RDP.Password = pw
		}
	case ProtocolSSH, ProtocolApp:
		req.SSH = r.SSHParams()
	}
	return req, nil
}
