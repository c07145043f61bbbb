package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// errHelp means the help asked for (--help, -h, iapdesk help) has been
// printed on stdout: the command succeeded.
var errHelp = errors.New("help shown")

// flagSet is one command's flags. Unlike flag.FlagSet it takes flags before,
// between or after the positional arguments (gcloud style; "--" ends them),
// accepts --flag and -flag alike, says "unknown flag --bogus", and prints
// its help as --flag, the way the usage lines write them.
type flagSet struct {
	*flag.FlagSet
	cmd    string              // "iapdesk ssh"
	usage  string              // the command's usage text, shown above the flags
	hidden map[string]struct{} // flags left out of the help
}

// newFlagSet returns the flag set of cmd ("iapdesk ssh") with its usage
// text; its errors are printed by the command line, not by package flag.
func newFlagSet(cmd, usage string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(cmd, flag.ContinueOnError), cmd: cmd, usage: usage, hidden: map[string]struct{}{}}
	fs.SetOutput(io.Discard)
	return fs
}

// hide leaves the named flags out of the help (the screenshot script's).
func (fs *flagSet) hide(names ...string) {
	for _, n := range names {
		fs.hidden[n] = struct{}{}
	}
}

// usageError is a mistake on the command line: exit status 2, with the
// usage line and a pointer to --help.
type usageError struct {
	fs  *flagSet
	msg string
}

func (e *usageError) Error() string { return e.fs.cmd + ": " + e.msg }

// Is makes a usageError match errUsage.
func (e *usageError) Is(target error) bool { return target == errUsage }

// print writes the mistake, the usage line and the way to the help.
func (e *usageError) print(w io.Writer) {
	fmt.Fprintln(w, e.Error())
	if line := e.fs.usageLines(); line != "" {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "Run '%s --help' for more.\n", e.fs.cmd)
}

// fail returns a usage error of the command: "missing INSTANCE", "unknown
// flag --bogus", ….
func (fs *flagSet) fail(format string, args ...any) error {
	return &usageError{fs: fs, msg: fmt.Sprintf(format, args...)}
}

// usageLines is the "usage:" lines of the usage text.
func (fs *flagSet) usageLines() string {
	var lines []string
	for _, l := range strings.Split(fs.usage, "\n") {
		if l == "" {
			break
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// boolFlag is what package flag's boolean values implement.
type boolFlag interface{ IsBoolFlag() bool }

// parse sets the flags in args and returns the positional arguments. -h,
// --help and -help return errHelp (the caller prints the help); a mistake
// returns a *usageError.
func (fs *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				return nil, errHelp
			}
			return nil, fs.fail("unknown flag --%s", name)
		}
		if b, ok := f.Value.(boolFlag); ok && b.IsBoolFlag() {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, fs.fail("flag --%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			return nil, fs.fail("invalid value %q for --%s: %v", value, name, unwrapAll(err))
		}
	}
	return pos, nil
}

// unwrapAll is the innermost error of err's chain: strconv's "invalid
// syntax" rather than the chain that repeats the value.
func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// printHelp writes the usage text and the flags, as --flag VALUE, to w.
func (fs *flagSet) printHelp(w io.Writer) {
	fmt.Fprintln(w, fs.usage)
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := fs.hidden[f.Name]; !ok {
			flags = append(flags, f)
		}
	})
	if len(flags) == 0 {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range flags {
		arg, usage := flag.UnquoteUsage(f)
		if b, ok := f.Value.(boolFlag); ok && b.IsBoolFlag() {
			arg = ""
		}
		name := "--" + f.Name
		if arg != "" {
			name += " " + arg
		}
		if !slices.Contains([]string{"", "0", "false"}, f.DefValue) && !strings.Contains(usage, "default") {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	}
	tw.Flush()
}

// require fails with one wording for every command when a required flag is
// empty: "missing --zone (or $CLOUDSDK_COMPUTE_ZONE)".
func (fs *flagSet) require(flags ...string) error {
	var missing []string
	for _, name := range flags {
		f := fs.Lookup(name)
		if f == nil || f.Value.String() != "" {
			continue
		}
		m := "--" + name
		if env := envDefault[name]; env != "" {
			m += " (or $" + env + ")"
		}
		missing = append(missing, m)
	}
	if len(missing) == 0 {
		return nil
	}
	return fs.fail("missing %s", strings.Join(missing, " and "))
}

// envDefault names the environment variable a flag defaults to, as gcloud's.
var envDefault = map[string]string{
	"project": "CLOUDSDK_CORE_PROJECT",
	"zone":    "CLOUDSDK_COMPUTE_ZONE",
}
