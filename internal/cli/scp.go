package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/term"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/platform"
)

const scpUsage = `usage: iapdesk scp [-r] [flags] SRC... DEST

Copies files to or from a VM through IAP, like gcloud compute scp
--tunnel-through-iap: a remote operand is [USER@]INSTANCE:PATH (PATH
relative to the home directory), the others are local; either every
source is on the VM and DEST here, or the other way round. SFTP runs in
this process over the tunnel. As iapdesk ssh, it publishes iapdesk's key
for the signed-in account (or --account) unless --key names one, and
checks host keys in iapdesk's known_hosts under compute.ID. A file is
written under a temporary name and renamed when complete. Progress shows
on a terminal; the exit status is 1 if any file failed. With --demo it
copies to or from a VM of the demo organisation (iapdesk scp --demo FILE
web-prod-01:/tmp/), without a Google account.`

// runSCP is `iapdesk scp`.
func runSCP(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("iapdesk scp", scpUsage)
	var f connectFlags
	var p app.SSHParams
	var recurse bool
	f.register(fs.FlagSet, 22)
	fs.BoolVar(&recurse, "r", false, "copy directories recursively")
	fs.BoolVar(&recurse, "recurse", false, "copy directories recursively (gcloud's name)")
	fs.StringVar(&p.KeyFile, "key", "", "private key `FILE`: publish nothing and log in with this key")
	fs.StringVar(&p.StrictHostKeyChecking, "strict-host-key-checking", "", "`yes|accept-new|no|ask`, as ssh's StrictHostKeyChecking")
	fs.Bool("tunnel-through-iap", true, "accepted for gcloud compatibility: iapdesk always tunnels")
	demoMode := fs.Bool("demo", false, "copy to or from a VM of the demo organisation (no Google account needed)")
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	if len(pos) < 2 {
		return fs.fail("need SRC... DEST")
	}
	plan, err := planSCP(pos, runtime.GOOS == "windows")
	if err != nil {
		return fs.fail("%s", app.TerminalSafe(err.Error()))
	}
	p.Username = plan.remote.User
	log := f.logger(e.stdio.Err)
	var clients *app.SSHClients
	var inst app.Instance
	if *demoMode {
		w, err := demo.Start(ctx, demo.Config{NoRDP: true, Logger: log})
		if err != nil {
			return err
		}
		defer w.Close()
		if inst, err = w.Instance(ctx, plan.remote.Instance); err != nil {
			return err
		}
		clients = w.SSHClients
	} else {
		if inst, err = f.instance(fs, plan.remote.Instance); err != nil {
			return err
		}
		svc, err := f.open(ctx, log)
		if err != nil {
			return err
		}
		defer svc.Close()
		clients = svc.SSHClients
	}
	req := app.Request{Instance: inst, Port: f.port, SSH: p, CommandLine: true}
	return copySCP(ctx, e, clients, req, plan, recurse)
}

// scpPlan is a checked command line: the sources, the destination, and
// the VM they involve.
type scpPlan struct {
	sources []scpLocation
	dest    scpLocation
	remote  scpLocation // the VM side (User, Instance)
	upload  bool
}

// planSCP checks the operands: one VM, on one side.
func planSCP(operands []string, windows bool) (scpPlan, error) {
	var plan scpPlan
	locs := make([]scpLocation, len(operands))
	for i, o := range operands {
		var err error
		if locs[i], err = parseSCPOperand(o, windows); err != nil {
			return scpPlan{}, err
		}
	}
	plan.sources, plan.dest = locs[:len(locs)-1], locs[len(locs)-1]
	plan.upload = plan.dest.Remote
	for _, s := range plan.sources {
		if s.Remote == plan.upload {
			if plan.upload {
				return scpPlan{}, errors.New("copying between VMs is not supported: the sources must be local when DEST is on a VM")
			}
			return scpPlan{}, errors.New("nothing is on a VM: write a remote operand as [USER@]INSTANCE:PATH")
		}
		if s.Remote {
			if plan.remote.Instance != "" && (s.Instance != plan.remote.Instance || s.User != plan.remote.User) {
				return scpPlan{}, errors.New("every remote source must be on the same VM, as the same user")
			}
			plan.remote = s
		}
	}
	if plan.upload {
		plan.remote = plan.dest
	}
	return plan, nil
}

// copySCP connects and copies.
func copySCP(ctx context.Context, e *env, clients *app.SSHClients, req app.Request, plan scpPlan, recurse bool) error {
	c, err := clients.Open(ctx, req, terminalSSHPrompter{in: e.stdio.In, out: e.stdio.Err})
	if err != nil {
		return err
	}
	defer c.Close()
	f, err := c.SFTP(ctx)
	if err != nil {
		return err
	}
	defer f.Close()
	paths := make([]string, len(plan.sources))
	for i, s := range plan.sources {
		paths[i] = s.Path
	}
	bar := newProgressBar(e.stdio.Err)
	opts := app.TransferOptions{Recursive: recurse, Progress: bar.show, ProgressEvery: 200 * time.Millisecond}
	if plan.upload {
		err = f.Upload(ctx, paths, plan.dest.Path, opts)
	} else {
		err = f.Download(ctx, paths, plan.dest.Path, opts)
	}
	bar.done()
	var te *app.TransferError
	if errors.As(err, &te) {
		for _, fe := range te.Failed {
			fmt.Fprintf(e.stdio.Err, "iapdesk scp: %s: %s\n", app.TerminalSafe(fe.Path), app.TerminalSafe(fe.Err.Error()))
		}
		return fmt.Errorf("%d of the files could not be copied: %w", len(te.Failed), errSCPFailed)
	}
	return err
}

// errSCPFailed reports that some files were not copied (each said why).
var errSCPFailed = errors.New("copy incomplete")

// progressBar draws one line of progress on a terminal, and nothing
// elsewhere (a script's log stays clean).
type progressBar struct {
	w     io.Writer
	on    bool
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (b *progressBar) show(p app.TransferProgress) {
	if !b.on {
		return
	}
	pct := 100
	if p.Total > 0 {
		pct = int(p.Bytes * 100 / p.Total)
	}
	const width = 24
	fill := pct * width / 100
	name := p.File
	if r := []rune(name); len(r) > 30 {
		name = "…" + string(r[len(r)-29:])
	}
	fmt.Fprintf(b.w, "\r%-30s [%s%s] %3d%% %s %s/s  ", app.TerminalSafe(name), strings.Repeat("#", fill), strings.Repeat(" ", width-fill),
		pct, byteSize(p.Bytes), byteSize(int64(p.Rate())))
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

// byteSize is n in B, KiB, MiB or GiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGT"[exp])
}

// terminalSSHPrompter asks an SSH login's questions on the terminal:
// hidden answers without echo, the others (an unknown host key) from a
// line of stdin. Without a terminal for a hidden answer it declines.
type terminalSSHPrompter struct {
	in  io.Reader
	out io.Writer
}

// SSHPrompt asks p's questions in turn; it never offers to save.
func (t terminalSSHPrompter) SSHPrompt(_ context.Context, p app.SSHPrompt) (app.SSHAnswer, error) {
	if p.Instruction != "" {
		fmt.Fprintln(t.out, app.TerminalSafe(p.Instruction))
	}
	var a app.SSHAnswer
	for _, q := range p.Questions {
		prompt := app.TerminalSafe(q.Prompt)
		if !q.Echo {
			pw, err := platform.PromptPassword(prompt, t.out)
			if err != nil {
				return app.SSHAnswer{}, errors.Join(app.ErrSSHPromptDeclined, err)
			}
			a.Answers = append(a.Answers, string(pw))
			continue
		}
		fmt.Fprint(t.out, prompt)
		line, err := readPassword(t.in) // one line, read byte by byte: nothing more is taken from stdin
		if err != nil {
			return app.SSHAnswer{}, errors.Join(app.ErrSSHPromptDeclined, err)
		}
		a.Answers = append(a.Answers, string(line))
	}
	return a, nil
}
