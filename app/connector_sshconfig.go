package app

import (
	"cmp"
	"context"
	"log/slog"

	"iapdesk/app/settings"
)

// LoginUserFinder is a KeyPublisher that can also say, without
// publishing, which user OS Login logs an account in as on a project's
// VMs (*gce.SSHPublisher): "" when the account has no POSIX account yet.
type LoginUserFinder interface {
	LoginUser(ctx context.Context, account, project string) (string, error)
}

// SSHHosts completes an SSH request for each VM of insts as Connect
// would (the connect policy's steps 2 and 3: settings, known_hosts, host
// key checking, iapdesk's key of the ssh.keyType setting, generated if
// missing, and the user it logs in as) without publishing the key:
// `iapdesk ssh-config`'s ProxyCommand publishes it when ssh connects
// (`iapdesk tunnel --publish-ssh-key`), so a VM created or a key expired
// since the config was written still works.
//
// The user is the ssh.username setting, else the account's POSIX name;
// on an OS Login VM it is OS Login's user for the account (asked once per
// project through LoginUserFinder; when the account has none yet, the key
// is published to that one VM, which creates it). Without a publisher or
// an account the defaults' user and key are used, as Connect does.
func (c *Connector) SSHHosts(ctx context.Context, insts []Instance) ([]Request, error) {
	osLogin := map[string]string{} // project → OS Login user
	out := make([]Request, 0, len(insts))
	for _, inst := range insts {
		req := Request{Instance: inst, Protocol: ProtocolSSH, CommandLine: true}
		layers, err := c.layers(ctx, req)
		if err != nil {
			return nil, err
		}
		r := settings.Resolve(layers...)
		req = req.resolve()
		req.SSH = mergeSSH(sshParams(r), req.SSH)
		d := c.cfg.SSH
		req.SSH.KnownHostsFile = cmp.Or(req.SSH.KnownHostsFile, d.KnownHostsFile)
		req.SSH.StrictHostKeyChecking = cmp.Or(req.SSH.StrictHostKeyChecking, d.StrictHostKeyChecking)
		if c.cfg.Publisher == nil || c.cfg.SSHKeys == nil || c.cfg.Account == "" {
			req.SSH.Username = cmp.Or(req.SSH.Username, d.Username)
			req.SSH.KeyFile = cmp.Or(req.SSH.KeyFile, d.KeyFile)
			out = append(out, req)
			continue
		}
		keyType := SSHKeyType(r.Settings.SSH.KeyType.Value())
		key, err := c.cfg.SSHKeys.Key(ctx, keyType)
		if err != nil {
			return nil, &UserError{What: "Cannot prepare your SSH key", Why: err.Error(),
				Fix: "Check that the configuration directory is writable.", Err: err}
		}
		req.SSH.KeyFile = key.PrivateKeyFile
		if !inst.OSLogin {
			req.SSH.Username = cmp.Or(req.SSH.Username, POSIXUsername(c.cfg.Account))
			out = append(out, req)
			continue
		}
		user, ok := osLogin[inst.Project]
		if !ok {
			if f, can := c.cfg.Publisher.(LoginUserFinder); can {
				if user, err = f.LoginUser(ctx, c.cfg.Account, inst.Project); err != nil {
					c.log.Warn("cannot read the os login user", slog.String("project", inst.Project), slog.Any("error", err))
				}
			}
			if user == "" {
				// No POSIX account yet: publishing creates it.
				pubReq := req
				pubReq.SSH.KeyFile = "" // iapdesk's own, which prepareSSH publishes
				pub, err := c.prepareSSH(ctx, pubReq, keyType)
				if err != nil {
					return nil, err
				}
				user = pub.SSH.Username
			}
			osLogin[inst.Project] = user
		}
		req.SSH.Username = user
		out = append(out, req)
	}
	return out, nil
}

// publishesKeys reports whether Connect publishes iapdesk's key (a
// publisher, a key store and an account).
func (c *Connector) publishesKeys() bool {
	return c.cfg.Publisher != nil && c.cfg.SSHKeys != nil && c.cfg.Account != ""
}
