package platform

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// openerSettle is how long OpenURL waits for the opener (xdg-open, open,
// rundll32) to fail before it reports success.
const openerSettle = 3 * time.Second

// OpenURL opens an http or https URL in the user's default browser:
// xdg-open on Linux, open on macOS, rundll32 url.dll,FileProtocolHandler on
// Windows (no cmd.exe, so "&" in a URL is not a command separator).
//
// It returns when the opener exited successfully, with an error when it
// failed (no browser configured, no display), or with nil after a few seconds
// while the opener still runs: xdg-open without a desktop environment runs
// the browser in the foreground. Such an opener is reaped in the background
// when it exits; it is never killed. ctx bounds only how long OpenURL waits.
// On other operating systems it returns errors.ErrUnsupported.
func OpenURL(ctx context.Context, rawURL string) error {
	l, err := New(Config{})
	if err != nil {
		return err
	}
	return l.OpenURL(ctx, rawURL)
}

// OpenURL is the package-level OpenURL using the Launcher's environment and
// logger.
func (l *Launcher) OpenURL(ctx context.Context, rawURL string) error {
	p, err := l.Launch(ctx, URLSpec{URL: rawURL})
	if err != nil {
		return err
	}
	t := time.NewTimer(l.settle)
	defer t.Stop()
	select {
	case <-p.Exited():
		if err := p.Wait(); err != nil {
			return fmt.Errorf("open %s in the browser: %w", redactURL(rawURL), err)
		}
		return nil
	case <-t.C:
		return nil // still running: the browser itself, in the foreground
	case <-ctx.Done():
		return fmt.Errorf("open %s in the browser: %w", redactURL(rawURL), ctx.Err())
	}
}

// URLSpec asks Launch to open a URL in the default browser. Launch returns the
// opener process, which is Detached.
type URLSpec struct {
	URL string // http or https
}

func (URLSpec) spec() {}

// BrowserArgv returns the command line that opens rawURL in the default
// browser on goos ("linux", "darwin", "windows"). Only absolute http and
// https URLs are accepted: anything else could start an arbitrary protocol
// handler or be read as an option by the opener.
func BrowserArgv(goos, rawURL string) ([]string, error) {
	if err := checkBrowserURL(rawURL); err != nil {
		return nil, err
	}
	switch goos {
	case "linux":
		return []string{"xdg-open", rawURL}, nil
	case "darwin":
		return []string{"open", rawURL}, nil
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", rawURL}, nil
	}
	return nil, fmt.Errorf("open a browser on %q: %w", goos, errors.ErrUnsupported)
}

func checkBrowserURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("open URL in the browser: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("open %q in the browser: only http and https URLs are opened", redactURL(rawURL))
	}
	if u.Host == "" {
		return fmt.Errorf("open %q in the browser: the URL has no host", redactURL(rawURL))
	}
	if strings.IndexFunc(rawURL, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("open %q in the browser: the URL contains spaces or control characters; escape them", redactURL(rawURL))
	}
	return nil
}

// redactURL drops the query and fragment (an OAuth URL carries state and
// challenges there) so that errors can name the URL.
func redactURL(rawURL string) string {
	if i := strings.IndexAny(rawURL, "?#"); i >= 0 {
		return rawURL[:i] + "?…"
	}
	return rawURL
}
