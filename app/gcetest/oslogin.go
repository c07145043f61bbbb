package gcetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	oslogin "google.golang.org/api/oslogin/v1"
)

// OSLoginUser preconfigures an OS Login user.
type OSLoginUser struct {
	Email    string
	Username string // POSIX username; "" derives it from the email (alice@example.com → alice_example_com)
	// Forbidden makes every OS Login call for the user a 403 (a consumer
	// account, or an admin policy).
	Forbidden bool
	// KeyManagementDisabled emulates an admin who turned off "Allow users
	// to manage their SSH public keys via the OS Login API": imports
	// answer 200 without adding the key, and say why in details.
	KeyManagementDisabled bool
}

type osUser struct {
	cfg  OSLoginUser
	uid  int64
	keys map[string]*oslogin.SshPublicKey // by fingerprint
}

func (s *Server) addOSLoginUserLocked(u OSLoginUser) *osUser {
	if u.Username == "" {
		u.Username = posixName(u.Email)
	}
	ou := &osUser{cfg: u, uid: int64(1e9 + stableID("uid", strings.ToLower(u.Email))%1e9),
		keys: make(map[string]*oslogin.SshPublicKey)}
	s.users[strings.ToLower(u.Email)] = ou
	return ou
}

var notPosix = regexp.MustCompile(`[^a-z0-9_]`)

// posixName derives a POSIX username from an email the way OS Login does
// for Google accounts: lower-cased, non [a-z0-9_] turned into _, at most 32
// characters.
func posixName(email string) string {
	n := notPosix.ReplaceAllString(strings.ToLower(email), "_")
	if len(n) > 32 {
		n = n[:32]
	}
	return n
}

// keyFingerprint is the hex SHA-256 of the key's wire form.
func keyFingerprint(k ssh.PublicKey) string {
	sum := sha256.Sum256(k.Marshal())
	return hex.EncodeToString(sum[:])
}

func (s *Server) osLogin(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/v1/users/")
	seg, tail, _ := strings.Cut(rest, "/")
	seg, verb, _ := strings.Cut(seg, ":")
	email, err := url.PathUnescape(seg)
	if err != nil || email == "" {
		writeError(w, errRPC(http.StatusNotFound, "NOT_FOUND", "Requested entity was not found."))
		return
	}
	project := r.URL.Query().Get("projectId")
	s.mu.Lock()
	u := s.users[strings.ToLower(email)]
	if u == nil {
		u = s.addOSLoginUserLocked(OSLoginUser{Email: email})
	}
	forbidden := u.cfg.Forbidden
	s.mu.Unlock()
	if forbidden {
		writeError(w, errRPC(http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission"))
		return
	}
	switch {
	case verb == "importSshPublicKey" && tail == "" && r.Method == http.MethodPost:
		s.importKey(w, r, u, project)
	case verb == "" && tail == "loginProfile" && r.Method == http.MethodGet:
		s.mu.Lock()
		p := s.profileLocked(u, project)
		s.mu.Unlock()
		writeJSON(w, r, p)
	case verb == "" && strings.HasPrefix(tail, "sshPublicKeys/") && (r.Method == http.MethodDelete || r.Method == http.MethodGet):
		fp := strings.TrimPrefix(tail, "sshPublicKeys/")
		s.mu.Lock()
		k, ok := u.keys[fp]
		if ok && r.Method == http.MethodDelete {
			delete(u.keys, fp)
		}
		var kc oslogin.SshPublicKey
		if ok {
			kc = *k
		}
		s.mu.Unlock()
		switch {
		case !ok:
			writeError(w, errRPC(http.StatusNotFound, "NOT_FOUND", "Requested entity was not found."))
		case r.Method == http.MethodDelete:
			writeJSON(w, r, struct{}{})
		default:
			writeJSON(w, r, &kc)
		}
	default:
		writeError(w, errRPC(http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Method %s %s not found.", r.Method, r.URL.Path)))
	}
}

func (s *Server) importKey(w http.ResponseWriter, r *http.Request, u *osUser, project string) {
	var req oslogin.SshPublicKey
	if aerr := decodeBody(r, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	pk, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(req.Key))
	if err != nil {
		writeError(w, errRPC(http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid SSH key: "+err.Error()))
		return
	}
	fp := keyFingerprint(pk)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
	if comment != "" {
		line += " " + comment
	}
	s.mu.Lock()
	details := ""
	if u.cfg.KeyManagementDisabled {
		details = "Your organization's administrator has disabled the ability to manage SSH keys through the OS Login API."
	} else {
		u.keys[fp] = &oslogin.SshPublicKey{Key: line, ExpirationTimeUsec: req.ExpirationTimeUsec, Fingerprint: fp,
			Name: fmt.Sprintf("users/%s/sshPublicKeys/%s", u.cfg.Email, fp)}
	}
	p := s.profileLocked(u, project)
	s.mu.Unlock()
	writeJSON(w, r, &oslogin.ImportSshPublicKeyResponse{LoginProfile: p, Details: details})
}

// profileLocked builds the user's login profile; expired keys are left
// out. The caller holds s.mu.
func (s *Server) profileLocked(u *osUser, project string) *oslogin.LoginProfile {
	p := &oslogin.LoginProfile{Name: u.cfg.Email, SshPublicKeys: map[string]oslogin.SshPublicKey{}}
	acct := &oslogin.PosixAccount{
		Primary: true, Username: u.cfg.Username, Uid: u.uid, Gid: u.uid,
		HomeDirectory: "/home/" + u.cfg.Username, Shell: "/bin/bash", OperatingSystemType: "LINUX",
		AccountId: project, Name: fmt.Sprintf("users/%s/projects/%s", u.cfg.Email, project),
	}
	p.PosixAccounts = []*oslogin.PosixAccount{acct}
	nowUsec := s.now().UnixMicro()
	for fp, k := range u.keys {
		if k.ExpirationTimeUsec != 0 && k.ExpirationTimeUsec <= nowUsec {
			continue
		}
		p.SshPublicKeys[fp] = *k
	}
	return p
}

// osLoginKeysLocked returns the unexpired authorized_keys lines of the OS
// Login users with POSIX name username, sorted. The caller holds s.mu.
func (s *Server) osLoginKeysLocked(username string) []string {
	var out []string
	nowUsec := s.now().UnixMicro()
	for _, u := range s.users {
		if u.cfg.Username != username {
			continue
		}
		for _, k := range u.keys {
			if k.ExpirationTimeUsec == 0 || k.ExpirationTimeUsec > nowUsec {
				out = append(out, k.Key)
			}
		}
	}
	slices.Sort(out)
	return out
}
