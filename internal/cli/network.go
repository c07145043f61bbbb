package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/auth"
	"iapdesk/platform/proxy"
)

// networkFlags are how tunnel, ssh and rdp reach Google: the proxy (gcloud
// names its settings proxy/address, proxy/port, proxy/username and
// proxy/password, as CLOUDSDK_PROXY_* in the environment) and the device
// certificate. Without them, Settings → Network and Settings → Access
// apply. A proxy password is never a flag: CLOUDSDK_PROXY_PASSWORD, or the
// keyring (saved in Settings → Network).
type networkFlags struct {
	address, pac, username, certificate string
}

func (n *networkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.address, "proxy", "", "HTTP proxy `HOST:PORT` (default $CLOUDSDK_PROXY_ADDRESS and $CLOUDSDK_PROXY_PORT, else Settings → Network)")
	fs.StringVar(&n.pac, "proxy-pac-url", "", "proxy auto-config (PAC) file `URL` (http, https or file)")
	fs.StringVar(&n.username, "proxy-username", "", "proxy `USER` (default $CLOUDSDK_PROXY_USERNAME); the password comes from $CLOUDSDK_PROXY_PASSWORD or the keyring")
	fs.StringVar(&n.certificate, "device-certificate", "automatic", "use the device certificate: `automatic` ($GOOGLE_API_USE_CLIENT_CERTIFICATE, else Settings → Access), on or off")
}

// apply sets the proxy and device certificate options the flags and the
// environment give.
func (n *networkFlags) apply(o *desk.Options) error {
	mode, err := auth.ParseCertificateMode(n.certificate)
	if err != nil {
		return fmt.Errorf("--device-certificate: %w", err)
	}
	o.DeviceCertificate.Mode = mode
	env, fromEnv, err := proxy.FromGcloudEnv(os.Getenv)
	if err != nil {
		return err
	}
	switch {
	case n.address != "" && n.pac != "":
		return fmt.Errorf("--proxy and --proxy-pac-url exclude each other")
	case n.address != "":
		if _, err := proxy.ParseAddress(n.address); err != nil {
			return fmt.Errorf("--proxy: %w", err)
		}
		o.Proxy = &proxy.Settings{Mode: proxy.ModeManual, Address: n.address}
	case n.pac != "":
		o.Proxy = &proxy.Settings{Mode: proxy.ModePAC, PACURL: n.pac}
	case fromEnv:
		o.Proxy = &env
	}
	if o.Proxy != nil {
		if n.username != "" {
			o.Proxy.Username = n.username
		}
		if o.Proxy.Username != "" && o.Proxy.Password == "" {
			o.Proxy.Password = os.Getenv("CLOUDSDK_PROXY_PASSWORD")
		}
	}
	return nil
}

// signInWorkforce is `iapdesk auth login --login-config FILE`.
func signInWorkforce(ctx context.Context, e *env, uc *app.Accounts, file string) error {
	cfg, err := app.ReadLoginConfig(file)
	if err != nil {
		return err
	}
	acct, err := uc.SignInWorkforce(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdio.Err, "You are now signed in as %s (workforce pool %s, the active account).\n"+
		"OS Login cannot import SSH keys for workforce identities: iapdesk ssh publishes its key in metadata instead.\n",
		app.TerminalSafe(acct.Email), app.TerminalSafe(cfg.Pool()))
	return nil
}
