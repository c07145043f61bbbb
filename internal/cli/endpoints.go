package cli

import (
	"flag"
	"fmt"
	"os"
	"slices"

	"iapdesk/app/desk"
)

// endpointFlags are where Google's relay and APIs are and whose
// credentials to use, gcloud's flags for them: what gateway and
// ssh-config take, like tunnel.
type endpointFlags struct {
	opts desk.Options
	net  networkFlags
}

// passedOn are the flags a generated ProxyCommand repeats, so that ssh
// reaches the VMs as the ssh-config command was told to.
var passedOn = []string{"iap-tunnel-url-override", "psc-endpoint", "access-token-file", "account",
	"compute-endpoint", "oslogin-endpoint", "iap-tunnel-insecure-disable-websocket-cert-check",
	"proxy", "proxy-pac-url", "proxy-username", "device-certificate"}

func (f *endpointFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.opts.RelayURL, "iap-tunnel-url-override", "", "relay `URL` (default wss://tunnel.cloudproxy.app/v4)")
	fs.StringVar(&f.opts.PSCEndpoint, "psc-endpoint", "", "Private Service Connect `ADDRESS` to reach the relay through")
	fs.StringVar(&f.opts.Auth.AccessTokenFile, "access-token-file", "", "read the access token from `FILE` (re-read on every connect)")
	fs.StringVar(&f.opts.Account, "account", "", "the signed-in `ACCOUNT` to use (default the active one); with --access-token-file, whose token it is")
	fs.StringVar(&f.opts.ComputeURL, "compute-endpoint", os.Getenv("IAPDESK_COMPUTE_ENDPOINT"), "Compute Engine API base `URL` (default Google's; $IAPDESK_COMPUTE_ENDPOINT)")
	fs.StringVar(&f.opts.OSLoginURL, "oslogin-endpoint", os.Getenv("IAPDESK_OSLOGIN_ENDPOINT"), "OS Login API base `URL` (default Google's; $IAPDESK_OSLOGIN_ENDPOINT)")
	fs.BoolVar(&f.opts.InsecureSkipVerify, "iap-tunnel-insecure-disable-websocket-cert-check", false, "do not verify the relay's TLS certificate (testing only)")
	f.net.register(fs)
}

// options are the desk options the flags give.
func (f *endpointFlags) options() (desk.Options, error) {
	o := f.opts
	if err := f.net.apply(&o); err != nil {
		return desk.Options{}, err
	}
	return o, nil
}

// given are the passedOn flags set on fs's command line, as
// --name=value.
func given(fs *flag.FlagSet) []string {
	var out []string
	fs.Visit(func(fl *flag.Flag) {
		if slices.Contains(passedOn, fl.Name) {
			out = append(out, fmt.Sprintf("--%s=%s", fl.Name, fl.Value.String()))
		}
	})
	return out
}
