package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"iapdesk/platform"
)

// ErrSSHPromptDeclined reports that the user cancelled an SSH login prompt
// (a password, a verification code, an unknown host key).
var ErrSSHPromptDeclined = errors.New("ssh login prompt declined")

// SSHPrompter asks the person at the keyboard what an embedded SSH login
// needs: the terminal tab asks in the tab, as ssh does in a terminal. It
// returns ErrSSHPromptDeclined (or ctx's error) when the user gives up.
type SSHPrompter interface {
	SSHPrompt(ctx context.Context, p SSHPrompt) (SSHAnswer, error)
}

// SSHPromptKind says what an SSHPrompt asks.
type SSHPromptKind int

// Prompt kinds.
const (
	// PromptHostKey asks whether to trust an unknown host key
	// (StrictHostKeyChecking=ask): one echoed question, "yes" trusts it.
	PromptHostKey SSHPromptKind = iota
	// PromptPassword asks for the user's password: one question without
	// echo; the answer may be saved (CanSave).
	PromptPassword
	// PromptChallenge is a keyboard-interactive challenge, e.g. OS Login's
	// 2-step verification.
	PromptChallenge
)

// SSHPrompt is what an SSHPrompter is asked. Name, Instruction and the
// questions come from the SSH server: escape them (TerminalSafe) before
// printing them on a terminal.
type SSHPrompt struct {
	Kind        SSHPromptKind
	Instance    Instance
	Username    string
	Name        string
	Instruction string
	Questions   []SSHQuestion
	// CanSave says the password can be kept in the keyring.
	CanSave bool
}

// SSHQuestion is one question of a prompt.
type SSHQuestion struct {
	Prompt string
	Echo   bool
}

// SSHAnswer are the answers, one per question, and whether to save the
// password (PromptPassword only).
type SSHAnswer struct {
	Answers []string
	Save    bool
}

// SSHPasswordSecret is the keyring key of the SSH password of user on a VM.
func SSHPasswordSecret(ref InstanceRef, user string) SecretKey {
	return SecretKey("ssh-password:instance:" + ref.String() + ":" + user)
}

// sshLogin is one login: the auth methods and host key check of a request.
type sshLogin struct {
	cs     *SSHClients
	req    Request
	prompt SSHPrompter
	ctx    context.Context // the Open call's: bounds prompts and keyring access

	// mu guards the fields below: ssh calls the callbacks from the
	// handshake goroutine.
	mu        sync.Mutex
	saved     string // the saved password, tried once first
	triedSave bool
	typed     string // the password typed last, to save after success
	save      bool
	keyErr    error // why the key file could not be used
	hostErr   error // the host key check's refusal
	declined  error // the user gave up on a prompt
}

// config builds the client configuration: iapdesk's (or the chosen) key,
// keyboard-interactive and password, and the known_hosts check.
func (l *sshLogin) config() (*ssh.ClientConfig, error) {
	req := l.req
	kh := cmp.Or(req.SSH.KnownHostsFile, l.cs.cfg.KnownHostsFile)
	if kh == "" {
		return nil, errors.New("ssh: no known_hosts file")
	}
	hc := &hostKeyChecker{file: kh, alias: HostKeyAlias(req.Instance), policy: req.SSH.StrictHostKeyChecking, ctx: l.ctx}
	if l.prompt != nil {
		hc.confirm = l.confirmHostKey
	}
	var methods []ssh.AuthMethod
	if req.SSH.KeyFile != "" {
		signer, err := l.signer(req.SSH.KeyFile)
		if err != nil {
			l.keyErr = err
		} else {
			methods = append(methods, ssh.PublicKeys(signer))
		}
	}
	if l.cs.cfg.Passwords != nil && req.SSH.Username != "" {
		if pw, ok, err := l.cs.cfg.Passwords.SSHPassword(l.ctx, SSHPasswordSecret(req.Instance.InstanceRef, req.SSH.Username)); err == nil && ok {
			l.saved = string(pw)
		}
	}
	methods = append(methods,
		ssh.RetryableAuthMethod(ssh.KeyboardInteractive(l.challenge), 3),
		ssh.RetryableAuthMethod(ssh.PasswordCallback(l.password), 3))
	return &ssh.ClientConfig{
		User: req.SSH.Username,
		Auth: methods,
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			err := hc.callback(host, remote, key)
			if err != nil {
				l.mu.Lock()
				l.hostErr = err
				l.mu.Unlock()
			}
			return err
		},
		HostKeyAlgorithms: hc.algorithms(),
		ClientVersion:     "SSH-2.0-iapdesk_" + strings.ReplaceAll(Build().Version, " ", "_"),
	}, nil
}

// signer loads the private key file, with its passphrase from the keyring
// when it has one.
func (l *sshLogin) signer(file string) (ssh.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read ssh key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		if err != nil {
			return nil, fmt.Errorf("parse ssh key %s: %w", filepath.Base(file), err)
		}
		return s, nil
	}
	if l.cs.cfg.Passwords == nil {
		return nil, fmt.Errorf("ssh key %s has a passphrase and no keyring holds it", filepath.Base(file))
	}
	p, ok, err := l.cs.cfg.Passwords.SSHPassphrase(l.ctx, file)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("ssh key %s has a passphrase that the keyring does not hold", filepath.Base(file))
	}
	s, err = ssh.ParsePrivateKeyWithPassphrase(b, []byte(p))
	if err != nil {
		return nil, fmt.Errorf("parse ssh key %s with its saved passphrase: %w", filepath.Base(file), err)
	}
	return s, nil
}

func (l *sshLogin) ask(p SSHPrompt) (SSHAnswer, error) {
	if l.prompt == nil {
		return SSHAnswer{}, ErrSSHPromptDeclined
	}
	p.Instance, p.Username = l.req.Instance, l.req.SSH.Username
	a, err := l.prompt.SSHPrompt(l.ctx, p)
	if err == nil && len(a.Answers) != len(p.Questions) {
		err = fmt.Errorf("ssh prompt: %d answers to %d questions", len(a.Answers), len(p.Questions))
	}
	if err != nil {
		l.mu.Lock()
		l.declined = err
		l.mu.Unlock()
	}
	return a, err
}

func (l *sshLogin) confirmHostKey(fingerprint string) (bool, error) {
	q := fmt.Sprintf("The authenticity of %s (%s) can't be established.\nIts host key fingerprint is %s.\nAre you sure you want to continue connecting (yes/no)? ",
		l.req.Instance.Name, HostKeyAlias(l.req.Instance), fingerprint)
	a, err := l.ask(SSHPrompt{Kind: PromptHostKey, Questions: []SSHQuestion{{Prompt: q, Echo: true}}})
	if err != nil {
		return false, err
	}
	return strings.EqualFold(strings.TrimSpace(a.Answers[0]), "yes"), nil
}

// password answers the "password" method: the saved password once, then
// the user's.
func (l *sshLogin) password() (string, error) {
	l.mu.Lock()
	if l.saved != "" && !l.triedSave {
		l.triedSave = true
		pw := l.saved
		l.mu.Unlock()
		return pw, nil
	}
	l.mu.Unlock()
	a, err := l.ask(SSHPrompt{Kind: PromptPassword, CanSave: l.cs.cfg.Passwords != nil,
		Questions: []SSHQuestion{{Prompt: fmt.Sprintf("%s@%s's password: ", l.req.SSH.Username, l.req.Instance.Name)}}})
	if err != nil {
		return "", err
	}
	l.mu.Lock()
	l.typed, l.save = a.Answers[0], a.Save
	l.mu.Unlock()
	return a.Answers[0], nil
}

// challenge answers keyboard-interactive. A lone hidden "Password:"
// question (PAM's) is a password: the saved one is tried and a typed one
// may be saved.
func (l *sshLogin) challenge(name, instruction string, questions []string, echos []bool) ([]string, error) {
	if len(questions) == 0 {
		return nil, nil // an informational round: nothing to answer
	}
	if len(questions) == 1 && !echos[0] && strings.Contains(strings.ToLower(questions[0]), "password") {
		pw, err := l.password()
		if err != nil {
			return nil, err
		}
		return []string{pw}, nil
	}
	p := SSHPrompt{Kind: PromptChallenge, Name: name, Instruction: instruction}
	for i, q := range questions {
		p.Questions = append(p.Questions, SSHQuestion{Prompt: q, Echo: echos[i]})
	}
	a, err := l.ask(p)
	if err != nil {
		return nil, err
	}
	return a.Answers, nil
}

// succeeded saves the typed password if the user asked to.
func (l *sshLogin) succeeded() error {
	l.mu.Lock()
	pw, save := l.typed, l.save
	l.mu.Unlock()
	if !save || pw == "" || l.cs.cfg.Passwords == nil {
		return nil
	}
	return l.cs.cfg.Passwords.SetSSHPassword(l.ctx, SSHPasswordSecret(l.req.Instance.InstanceRef, l.req.SSH.Username), platform.Password(pw))
}

// failed explains a failed login.
func (l *sshLogin) failed(err error) error {
	l.mu.Lock()
	hostErr, declined, keyErr := l.hostErr, l.declined, l.keyErr
	l.mu.Unlock()
	switch {
	case hostErr != nil:
		return hostKeyError(l.req, hostErr)
	case declined != nil:
		return declined
	}
	return sshLoginError(l.req, err, keyErr)
}
