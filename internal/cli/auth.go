package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/auth"
	"iapdesk/platform"
)

const authUsage = `usage: iapdesk auth VERB [flags] [ACCOUNT]

  list                              list signed-in accounts; * marks the active one
  login [--no-browser] [ACCOUNT]    sign in through the browser (ACCOUNT pre-selects it)
  login --login-config FILE         sign in with a workforce identity pool (Entra ID, Okta, …): FILE is
                                    from gcloud iam workforce-pools create-login-config
                                    (default $CLOUDSDK_AUTH_LOGIN_CONFIG_FILE)
  switch ACCOUNT                    make ACCOUNT the active account
  revoke [--all] [ACCOUNT]          sign out ACCOUNT (default: the active one) and revoke its token
  print-access-token [ACCOUNT]      print an access token, and nothing else, on stdout

Without a signed-in account, headless commands use --access-token-file or
Application Default Credentials (gcloud auth application-default login).
Sign-ins are kept in the OS keyring; IAPDESK_KEYRING=memory keeps them in
memory only, until iapdesk exits.`

// runAuth is `iapdesk auth VERB`, gcloud's account verbs.
func runAuth(ctx context.Context, e *env, args []string) error {
	stderr := e.stdio.Err
	top := newFlagSet("iapdesk auth", authUsage)
	switch {
	case len(args) == 0:
		return top.fail("missing VERB")
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		return e.flagError(top, errHelp)
	}
	verb, args := args[0], args[1:]
	fs := newFlagSet("iapdesk auth "+verb, authUsage)
	var noBrowser, all bool
	var loginConfig string
	maxArgs := 1
	switch verb {
	case "login":
		fs.BoolVar(&noBrowser, "no-browser", false, "print the sign-in address instead of opening the browser")
		fs.StringVar(&loginConfig, "login-config", os.Getenv("CLOUDSDK_AUTH_LOGIN_CONFIG_FILE"),
			"sign in with the workforce identity pool of the login config `FILE`")
	case "revoke":
		fs.BoolVar(&all, "all", false, "sign out every account")
	case "list":
		maxArgs = 0
	case "switch", "print-access-token":
	default:
		return top.fail("unknown verb %q", verb)
	}
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	switch {
	case verb == "switch" && len(pos) == 0:
		return fs.fail("missing ACCOUNT")
	case len(pos) > maxArgs || (all && len(pos) > 0):
		return fs.fail("unexpected argument %q", pos[len(pos)-1])
	}
	account := ""
	if len(pos) > 0 {
		account = pos[0]
	}

	opts := desk.Options{
		Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OpenURL: platform.OpenURL,
		Events: desk.Events{SignInURL: func(u string) {
			fmt.Fprintf(stderr, "Sign in to Google in your browser. If none opens, open this address in a browser on this computer:\n\n    %s\n\n", app.TerminalSafe(u))
		}},
	}
	if noBrowser {
		opts.OpenURL = nil
	}
	d, err := desk.New(opts)
	if err != nil {
		return err
	}
	uc := d.Accounts()

	switch verb {
	case "list":
		accts, err := uc.List(ctx)
		if err != nil {
			return err
		}
		if len(accts) == 0 {
			fmt.Fprintln(stderr, "No signed-in accounts: sign in with `iapdesk auth login`. Until then iapdesk uses "+
				"--access-token-file or Application Default Credentials (`gcloud auth application-default login`).")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdio.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTIVE\tACCOUNT\tSTATUS")
		for _, a := range accts {
			mark, status := "", "signed in"
			if a.Active {
				mark = "*"
			}
			email := app.TerminalSafe(a.Email) // from accounts.json, which anyone may have edited
			if a.Workforce != "" {
				status += " (workforce pool " + app.TerminalSafe(a.Workforce) + ")"
			}
			if a.SignInRequired {
				status = "sign in again: iapdesk auth login " + email
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", mark, email, status)
		}
		return tw.Flush()
	case "login":
		if os.Getenv(auth.EnvKeyring) == "memory" {
			fmt.Fprintln(stderr, "Note: IAPDESK_KEYRING=memory, so this sign-in ends when this command exits.")
		}
		if loginConfig != "" {
			return signInWorkforce(ctx, e, uc, loginConfig)
		}
		acct, err := uc.SignIn(ctx, account)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "You are now signed in as %s (the active account).\n", app.TerminalSafe(acct.Email))
		return nil
	case "switch":
		if err := uc.Switch(ctx, account); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Active account: %s\n", app.TerminalSafe(account))
		return nil
	case "revoke":
		if all {
			done, err := uc.SignOutAll(ctx)
			for _, e := range done {
				fmt.Fprintf(stderr, "Signed out %s\n", app.TerminalSafe(e))
			}
			return err
		}
		email, err := uc.SignOut(ctx, account)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Signed out %s\n", app.TerminalSafe(email))
		return nil
	default: // print-access-token
		tok, _, err := uc.AccessToken(ctx, account)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdio.Out, app.TerminalSafe(tok)) // a real token has no control characters: unchanged
		return nil
	}
}
