package gce

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"time"
)

// maxMetadataValue is the per-value metadata limit (gcloud's
// MAX_METADATA_VALUE_SIZE_IN_BYTES).
const maxMetadataValue = 256 << 10

// windowsKeyExpiry is how long a windows-keys entry is valid, as IAP
// Desktop and gcloud set it.
const windowsKeyExpiry = 5 * time.Minute

// windowsKeyEntry is one windows-keys line. Field order is the order
// written (encoding/json keeps struct order).
type windowsKeyEntry struct {
	UserName            string `json:"userName"`
	Email               string `json:"email"`
	ExpireOn            string `json:"expireOn"`
	Modulus             string `json:"modulus"`
	Exponent            string `json:"exponent"`
	AddToAdministrators bool   `json:"addToAdministrators"`
	HashFunction        string `json:"hashFunction"`
}

// newWindowsKeyEntry builds the request line for key: expiry now+5 min in
// RFC 3339 UTC with Z, standard base64 of the unsigned big-endian modulus
// and exponent, OAEP with SHA-256.
func newWindowsKeyEntry(pub *rsa.PublicKey, user, email string, admin bool, now time.Time) windowsKeyEntry {
	return windowsKeyEntry{
		UserName:            user,
		Email:               email,
		ExpireOn:            now.Add(windowsKeyExpiry).UTC().Format(time.RFC3339),
		Modulus:             base64.StdEncoding.EncodeToString(pub.N.Bytes()),
		Exponent:            base64.StdEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		AddToAdministrators: admin,
		HashFunction:        "sha256",
	}
}

// line encodes the entry as one JSON line (json.Marshal never emits a
// newline).
func (e windowsKeyEntry) line() string {
	b, _ := json.Marshal(e) // strings and a bool: cannot fail
	return string(b)
}

// keyExpired reads an expireOn value as the guest agent does (RFC 3339,
// then 2006-01-02T15:04:05-0700); a value neither parses counts as
// expired.
func keyExpired(expireOn string, now time.Time) bool {
	t, err := time.Parse(time.RFC3339, expireOn)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05-0700", expireOn)
	}
	if err != nil {
		return true
	}
	return !now.Before(t)
}

// appendWindowsKey is gcloud's _UpdateWindowsKeysValue: append line to the
// newline-separated entries of old, then walking newest-first drop expired
// entries and, once the running size (each line plus "\n") would pass 256
// KiB, every older entry. Lines that are not JSON objects are kept (they
// are someone else's business). The result keeps the original order.
func appendWindowsKey(old, line string, now time.Time) string {
	var lines []string
	if old != "" {
		lines = strings.Split(old, "\n")
	}
	lines = append(lines, line)
	var kept []string
	size := 0
	full := false
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		var e struct {
			ExpireOn *string `json:"expireOn"`
		}
		if json.Unmarshal([]byte(l), &e) == nil && e.ExpireOn != nil && keyExpired(*e.ExpireOn, now) {
			continue
		}
		if full || size+len(l)+1 > maxMetadataValue {
			full = true
			continue
		}
		size += len(l) + 1
		kept = append(kept, l)
	}
	slices.Reverse(kept)
	return strings.Join(kept, "\n")
}
