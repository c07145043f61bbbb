package gcetest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// windowsKey is one line of the windows-keys metadata value.
type windowsKey struct {
	UserName            string `json:"userName"`
	Email               string `json:"email"`
	ExpireOn            string `json:"expireOn"`
	Modulus             string `json:"modulus"`
	Exponent            string `json:"exponent"`
	HashFunction        string `json:"hashFunction"`
	AddToAdministrators *bool  `json:"addToAdministrators"`
	PasswordLength      int    `json:"passwordLength"`
}

// agentReply is the line the Go guest agent writes to COM4, field order
// and omitempty as in its struct.
type agentReply struct {
	ErrorMessage      string `json:"errorMessage,omitempty"`
	EncryptedPassword string `json:"encryptedPassword,omitempty"`
	UserName          string `json:"userName,omitempty"`
	PasswordFound     bool   `json:"passwordFound,omitempty"`
	Exponent          string `json:"exponent,omitempty"`
	Modulus           string `json:"modulus,omitempty"`
	HashFunction      string `json:"hashFunction,omitempty"`
}

// checkExpired copies the guest agent's utils.CheckExpired: RFC 3339 first,
// then 2006-01-02T15:04:05-0700; a value neither parses counts as expired.
func checkExpired(expireOn string, now time.Time) bool {
	t, err := time.Parse(time.RFC3339, expireOn)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05-0700", expireOn)
	}
	if err != nil {
		return true
	}
	return !now.Before(t)
}

// metadataBool resolves a boolean metadata flag the way the guest agent
// does: the instance value wins when it parses (strconv.ParseBool),
// otherwise the project value, otherwise false.
func metadataBool(ps *projectState, is *instanceState, key string) bool {
	if v, ok := metadataValue(is.inst.Metadata, key); ok {
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return b
		}
	}
	if v, ok := metadataValue(ps.meta, key); ok {
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return b
		}
	}
	return false
}

// agentScanLocked is the Windows agent reacting to a metadata change: each
// unseen, unexpired windows-keys entry is answered on COM4 after
// Config.AgentDelay. The caller holds s.mu.
func (s *Server) agentScanLocked(ps *projectState, is *instanceState) {
	if is.os != Windows || is.inst.Status != "RUNNING" || metadataBool(ps, is, "disable-account-manager") {
		return
	}
	v, ok := metadataValue(is.inst.Metadata, "windows-keys")
	if !ok {
		return
	}
	now := s.now()
	for _, line := range strings.Split(v, "\n") {
		var k windowsKey
		if json.Unmarshal([]byte(line), &k) != nil || k.UserName == "" || k.Modulus == "" || k.Exponent == "" {
			continue
		}
		if checkExpired(k.ExpireOn, now) {
			continue
		}
		seen := k.UserName + "\x00" + k.Modulus + "\x00" + k.ExpireOn
		if is.seenKeys[seen] {
			continue
		}
		is.seenKeys[seen] = true
		if is.agent == AgentSilent || s.closed {
			continue
		}
		mode := is.agent
		s.wg.Go(func() { s.agentReply(is, k, mode) })
	}
}

// agentReply waits AgentDelay, then creates or resets the account and
// writes the reply line to serial port 4.
func (s *Server) agentReply(is *instanceState, k windowsKey, mode AgentMode) {
	t := time.NewTimer(s.cfg.AgentDelay)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
		return
	case <-t.C:
	}
	reply := agentReply{UserName: k.UserName, Exponent: k.Exponent, Modulus: k.Modulus}
	var password string
	if mode == AgentFail {
		reply.ErrorMessage = fmt.Sprintf("error running createUser: user %s: access is denied (gcetest AgentFail)", k.UserName)
	} else {
		var err error
		password, err = generatePassword(k.PasswordLength)
		if err == nil {
			reply.EncryptedPassword, reply.HashFunction, err = encryptPassword(k, password)
		}
		if err != nil {
			reply = agentReply{ErrorMessage: err.Error(), UserName: k.UserName, Exponent: k.Exponent, Modulus: k.Modulus}
		} else {
			reply.PasswordFound = true
		}
	}
	line, _ := json.Marshal(reply) // strings and a bool: cannot fail
	s.mu.Lock()
	defer s.mu.Unlock()
	if reply.ErrorMessage == "" {
		u, existed := is.winUsers[k.UserName]
		u.Name, u.Password = k.UserName, password
		if !existed {
			u.Admin = k.AddToAdministrators == nil || *k.AddToAdministrators
		} else if k.AddToAdministrators != nil && *k.AddToAdministrators {
			u.Admin = true
		}
		is.winUsers[k.UserName] = u
	}
	is.serial[4].write(append(line, '\n'))
}

// encryptPassword encrypts password with RSA-OAEP to the request's key,
// using its hashFunction (sha1 when absent). It returns the base64
// ciphertext and the hash name to echo ("" for the sha1 default, as old
// agents do not echo it).
func encryptPassword(k windowsKey, password string) (string, string, error) {
	var h hash.Hash
	switch strings.ToLower(k.HashFunction) {
	case "", "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return "", "", fmt.Errorf("unknown hash function %q", k.HashFunction)
	}
	mod, err := base64.StdEncoding.DecodeString(k.Modulus)
	if err != nil {
		return "", "", fmt.Errorf("error decoding modulus: %v", err)
	}
	exp, err := base64.StdEncoding.DecodeString(k.Exponent)
	if err != nil || len(exp) == 0 || len(exp) > 4 {
		return "", "", fmt.Errorf("error decoding exponent %q", k.Exponent)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(mod), E: int(new(big.Int).SetBytes(exp).Int64())}
	ct, err := rsa.EncryptOAEP(h, rand.Reader, pub, []byte(password), nil)
	if err != nil {
		return "", "", fmt.Errorf("error encrypting password: %v", err)
	}
	return base64.StdEncoding.EncodeToString(ct), k.HashFunction, nil
}

const (
	pwLower   = "abcdefghijklmnopqrstuvwxyz"
	pwUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	pwDigits  = "0123456789"
	pwSymbols = "~!@#$%^&*_-+=|\\(){}[]:;<>,.?/"
)

// generatePassword returns a random password like the agent's: length
// 15..255 (15 when n is out of range) over letters, digits and symbols, with
// at least three of the four classes.
func generatePassword(n int) (string, error) {
	if n < 15 || n > 255 {
		n = 15
	}
	all := pwLower + pwUpper + pwDigits + pwSymbols
	for {
		b := make([]byte, n)
		for i := range b {
			j, err := rand.Int(rand.Reader, big.NewInt(int64(len(all))))
			if err != nil {
				return "", fmt.Errorf("error generating password: %v", err)
			}
			b[i] = all[j.Int64()]
		}
		classes := 0
		for _, set := range []string{pwLower, pwUpper, pwDigits, pwSymbols} {
			if strings.ContainsAny(string(b), set) {
				classes++
			}
		}
		if classes >= 3 {
			return string(b), nil
		}
	}
}

// WindowsUser returns the account the emulated agent created or reset for
// user on a VM, with its current password.
func (s *Server) WindowsUser(project, zone, name, user string) (WindowsUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, err := s.instanceLocked(project, zone, name)
	if err != nil {
		return WindowsUser{}, false
	}
	u, ok := is.winUsers[user]
	return u, ok
}
