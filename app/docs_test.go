package app_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsLiveInDocs keeps user documentation in docs/, linked from the
// README: a Markdown file inside a Go package is a README fragment that
// drifts from the README or a note to a colleague, and neither is
// documentation.
func TestDocsLiveInDocs(t *testing.T) {
	for _, dir := range []string{"app", "auth", "views", "tunnel", "platform", "packaging", "icons", "internal"} {
		root := filepath.Join("..", dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if path == root && errors.Is(err, fs.ErrNotExist) {
					return filepath.SkipDir
				}
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".md") {
				t.Errorf("%s: Markdown inside a package; user documentation goes in docs/ (linked from README.md), notes in the issue tracker", path)
			}
			return nil
		})
		if err != nil {
			t.Errorf("walk %s: %v", root, err)
		}
	}
}
