package platform

import "log/slog"

// Password is a secret string. It prints and logs as "REDACTED" so that a
// spec can be logged or formatted without leaking it; string(p) is the value.
type Password string

// String returns "REDACTED", never the password.
func (Password) String() string { return "REDACTED" }

// GoString returns "REDACTED", never the password (%#v).
func (Password) GoString() string { return "REDACTED" }

// LogValue returns "REDACTED", never the password.
func (Password) LogValue() slog.Value { return slog.StringValue("REDACTED") }
