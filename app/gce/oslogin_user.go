package gce

import (
	"context"

	"iapdesk/app"
)

var _ app.LoginUserFinder = (*SSHPublisher)(nil)

// LoginUser returns the user OS Login logs account in as on project's VMs:
// the primary Linux POSIX account of the account's login profile, without
// publishing anything; "" when the profile has none yet (the first key
// published creates it).
func (p *SSHPublisher) LoginUser(ctx context.Context, account, project string) (string, error) {
	lp, err := p.oslogin.Users.GetLoginProfile("users/" + account).ProjectId(project).Context(ctx).Do()
	if err != nil {
		return "", apiError(err)
	}
	for _, a := range lp.PosixAccounts {
		if a != nil && a.Primary && (a.OperatingSystemType == "" || a.OperatingSystemType == "LINUX") {
			return a.Username, nil
		}
	}
	return "", nil
}
