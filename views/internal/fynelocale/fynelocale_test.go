package fynelocale

import "testing"

func TestFix(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		want   string
		wantOK bool
	}{
		{"C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, "C", true},
		{"POSIX.utf8", map[string]string{"LANG": "POSIX.utf8"}, "POSIX", true},
		{"LC_MESSAGES wins", map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "C.UTF-8"}, "C", true},
		{"plain C", map[string]string{"LANG": "C"}, "", false},
		{"en_US", map[string]string{"LANG": "en_US.UTF-8"}, "", false},
		{"LC_ALL set", map[string]string{"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}, "", false},
		{"unset", map[string]string{}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := fix(func(k string) string { return tc.env[k] })
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("fix(%v) = %q, %v, want %q, %v", tc.env, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
