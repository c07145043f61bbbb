package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/google"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

// noADC stands in for an environment without Application Default
// Credentials.
func noADC(context.Context, google.CredentialsParams) (*google.Credentials, error) {
	return nil, errors.New("google: could not find default credentials")
}

// useADCFile points GOOGLE_APPLICATION_CREDENTIALS at a gcloud ADC file
// whose token_uri is srv, and returns the refresh token in it.
func useADCFile(t *testing.T, srv *authtest.Server, email string) string {
	t.Helper()
	rt := srv.IssueRefreshToken(email)
	path := filepath.Join(t.TempDir(), "application_default_credentials.json")
	if err := os.WriteFile(path, srv.AuthorizedUserJSON(rt), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)
	return rt
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, e *testEnv, cfg *auth.Config)
		wantKind  auth.SourceKind
		wantEmail string // whose token the source hands out
		wantErr   error
		noADC     bool // replace the ADC lookup: nothing found
	}{
		{
			name: "access token file wins over everything",
			setup: func(t *testing.T, e *testEnv, cfg *auth.Config) {
				e.login(t, "signed-in@example.com")
				useADCFile(t, e.srv, "adc@example.com")
				path := filepath.Join(t.TempDir(), "token")
				if err := os.WriteFile(path, []byte("ya29.from-file\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				cfg.AccessTokenFile = path
			},
			wantKind: auth.SourceAccessTokenFile,
		},
		{
			name: "active account before ADC",
			setup: func(t *testing.T, e *testEnv, _ *auth.Config) {
				e.login(t, "signed-in@example.com")
				useADCFile(t, e.srv, "adc@example.com")
			},
			wantKind:  auth.SourceAccount,
			wantEmail: "signed-in@example.com",
		},
		{
			name: "ADC when nobody is signed in",
			setup: func(t *testing.T, e *testEnv, _ *auth.Config) {
				useADCFile(t, e.srv, "adc@example.com")
			},
			wantKind:  auth.SourceADC,
			wantEmail: "adc@example.com",
		},
		{
			name: "ADC when the only account was signed out",
			setup: func(t *testing.T, e *testEnv, _ *auth.Config) {
				e.login(t, "gone@example.com")
				if err := e.m.Revoke(context.Background(), "gone@example.com"); err != nil {
					t.Fatal(err)
				}
				useADCFile(t, e.srv, "adc@example.com")
			},
			wantKind:  auth.SourceADC,
			wantEmail: "adc@example.com",
		},
		{
			name: "missing token file",
			setup: func(t *testing.T, e *testEnv, cfg *auth.Config) {
				cfg.AccessTokenFile = filepath.Join(t.TempDir(), "missing")
			},
			wantErr: os.ErrNotExist,
		},
		{
			name:    "nothing at all",
			setup:   func(t *testing.T, e *testEnv, _ *auth.Config) { t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "") },
			wantErr: auth.ErrNoCredentials,
			noADC:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			cfg := e.config()
			tc.setup(t, e, &cfg)
			m, err := auth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.noADC {
				auth.SetFindADC(m, noADC)
			}
			ts, desc, err := m.Resolve(context.Background())
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Resolve() error = %v, want %v", err, tc.wantErr)
				}
				t.Logf("Resolve() error: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("Resolve() error = %v", err)
			}
			if desc.Kind != tc.wantKind {
				t.Errorf("Resolve() picked %v, want %s", desc, tc.wantKind)
			}
			tok, err := ts.Token()
			if err != nil {
				t.Fatalf("Resolve() source: Token() error = %v", err)
			}
			if tc.wantEmail != "" {
				if got, _ := e.srv.CheckAccessToken(tok.AccessToken); got != tc.wantEmail {
					t.Errorf("Resolve() (%v) token belongs to %q, want %q", desc, got, tc.wantEmail)
				}
			}
		})
	}
}

// TestResolveADCRefresh: gcloud's user ADC is refreshed early and a revoked
// one asks the user to log in again.
func TestResolveADCRefresh(t *testing.T) {
	e := newTestEnv(t)
	useADCFile(t, e.srv, "adc@example.com")
	ts, desc, err := e.m.Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(desc.String(), "authorized_user") {
		t.Errorf("Description = %q, want it to say authorized_user", desc)
	}
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3599*time.Second - 59*time.Second)
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.Refreshes(); got != 2 {
		t.Errorf("refreshes = %d, want 2 (first token, then 59 s before expiry)", got)
	}
	e.srv.RevokeAll()
	e.clock.Advance(2 * time.Hour)
	_, err = ts.Token()
	var adc *auth.ADCError
	var oe *auth.OAuthError
	if !errors.Is(err, auth.ErrSignInRequired) || !errors.As(err, &adc) || !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Errorf("Token() with revoked ADC: error = %v, want an *ADCError wrapping an invalid_grant *OAuthError (ErrSignInRequired)", err)
	}
}

// TestResolveADCMetadataServer: on GCE the google library's metadata-server
// credentials are used (the metadata server is authtest here).
func TestResolveADCMetadataServer(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv("GCE_METADATA_HOST", e.srv.MetadataHost())
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("HOME", t.TempDir()) // no gcloud ADC file
	ts, desc, err := e.m.Resolve(context.Background())
	if err != nil {
		t.Fatalf("Resolve() error = %v", err)
	}
	if desc.Kind != auth.SourceADC || desc.Detail != "metadata server" {
		t.Errorf("Resolve() = %+v, want ADC from the metadata server", desc)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	if got, _ := e.srv.CheckAccessToken(tok.AccessToken); got != authtest.ServiceAccountEmail {
		t.Errorf("token belongs to %q, want %q", got, authtest.ServiceAccountEmail)
	}
}

func TestDescriptionString(t *testing.T) {
	tests := []struct {
		d    auth.Description
		want string
	}{
		{auth.Description{Kind: auth.SourceAccessTokenFile, Detail: "/tmp/t"}, "access token file /tmp/t"},
		{auth.Description{Kind: auth.SourceAccount, Account: "a@b.c"}, "account a@b.c"},
		{auth.Description{Kind: auth.SourceADC, Detail: "metadata server"}, "application default credentials (metadata server)"},
		{auth.Description{Kind: auth.SourceADC, Detail: "service_account", Account: "sa@p.iam"}, "application default credentials (service_account) as sa@p.iam"},
		{auth.Description{}, "no credentials"},
	}
	for _, tc := range tests {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.d, got, tc.want)
		}
	}
}
