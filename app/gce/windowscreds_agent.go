package gce

import (
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"strings"
	"time"

	"iapdesk/app"
)

// agentReply is a line the Windows guest agent writes to serial port 4.
type agentReply struct {
	ErrorMessage      string `json:"errorMessage"`
	EncryptedPassword string `json:"encryptedPassword"`
	UserName          string `json:"userName"`
	PasswordFound     bool   `json:"passwordFound"`
	Exponent          string `json:"exponent"`
	Modulus           string `json:"modulus"`
	HashFunction      string `json:"hashFunction"`
}

// agentPort is the serial port the agent answers on.
const agentPort = 4

// maxAgentBuffer bounds the partial line kept between reads: a reply is
// well under 2 KiB, so a longer unterminated line is not ours.
const maxAgentBuffer = 64 << 10

// replyScanner collects serial output and finds the agent's reply to our
// key. One JSON line can be split across two reads, so only complete lines
// are examined and the unterminated tail is kept for the next chunk.
type replyScanner struct {
	modulus string
	tail    string
}

// feed adds a chunk and returns the first complete line that is the reply
// for modulus. Old agents escaped "/" as "\/", so a line also matches after
// unescaping; the decoded modulus must then equal ours exactly.
func (s *replyScanner) feed(chunk string) (agentReply, bool) {
	buf := s.tail + chunk
	end := strings.LastIndexByte(buf, '\n')
	if end < 0 {
		s.tail = buf
		if len(s.tail) > maxAgentBuffer {
			s.tail = ""
		}
		return agentReply{}, false
	}
	s.tail = buf[end+1:]
	for _, line := range strings.Split(buf[:end], "\n") {
		if !strings.Contains(line, s.modulus) && !strings.Contains(strings.ReplaceAll(line, `\/`, "/"), s.modulus) {
			continue
		}
		var r agentReply
		if json.Unmarshal([]byte(strings.TrimSpace(line)), &r) != nil || r.Modulus != s.modulus {
			continue
		}
		return r, true
	}
	return agentReply{}, false
}

// pollAgent reads serial port 4 of ref from offset 0, following `next`,
// until the agent's reply to modulus shows up or ctx ends. An empty read
// waits interval before the next.
func (g *WindowsCredentialGenerator) pollAgent(ctx context.Context, ref app.InstanceRef, modulus string) (agentReply, error) {
	sc := replyScanner{modulus: modulus}
	var start int64
	var t *time.Timer
	for {
		out, err := g.svc.Instances.GetSerialPortOutput(ref.Project, ref.Zone, ref.Name).
			Port(agentPort).Start(start).Context(ctx).Do()
		if err != nil {
			return agentReply{}, fmt.Errorf("read serial port %d: %w", agentPort, apiError(err))
		}
		if r, ok := sc.feed(out.Contents); ok {
			return r, nil
		}
		prev := start
		if out.Next > start {
			start = out.Next
		}
		if out.Contents != "" && start > prev {
			continue // more may be waiting
		}
		if t == nil {
			t = time.NewTimer(g.interval)
			defer t.Stop()
		} else {
			t.Reset(g.interval)
		}
		select {
		case <-ctx.Done():
			return agentReply{}, ctx.Err()
		case <-t.C:
		}
	}
}

// decryptPassword decrypts the agent's RSA-OAEP ciphertext with the hash
// the reply names; old agents name none and use SHA-1.
func decryptPassword(priv *rsa.PrivateKey, r agentReply) (string, error) {
	ct, err := base64.StdEncoding.DecodeString(r.EncryptedPassword)
	if err != nil {
		return "", fmt.Errorf("decode encrypted password: %w", err)
	}
	var h hash.Hash
	switch strings.ToLower(r.HashFunction) {
	case "", "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return "", fmt.Errorf("agent used unknown hash function %q", r.HashFunction)
	}
	pt, err := rsa.DecryptOAEP(h, nil, priv, ct, nil)
	if err != nil {
		return "", fmt.Errorf("decrypt password: %w", err)
	}
	return string(pt), nil
}
