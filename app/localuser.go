package app

import (
	"os/user"
	"strings"
)

// LocalUsername is the local user's name, lower-cased and without a
// Windows domain, as gcloud uses it: the default SSH user, and the
// suggested name of generated Windows credentials.
func LocalUsername() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		name := u.Username
		if i := strings.LastIndexAny(name, `\`); i >= 0 {
			name = name[i+1:] // DOMAIN\user on Windows
		}
		return strings.ToLower(name)
	}
	return "user"
}
