// Package cli is iapdesk's command line: `iapdesk tunnel`, `ssh`, `rdp`,
// `auth`, `version`, with gcloud's flag names and exit statuses, and the
// dispatch of `iapdesk [--demo] [iap-rdp link]` to the desktop window,
// which main provides (GUI): this package builds no widgets. Every command
// builds its app objects through the composition root, app/desk.
package cli
