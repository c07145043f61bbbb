package app

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
)

// sftpConcurrency is how many SFTP requests one file transfer keeps in
// flight: the relay's round trip, not the bandwidth, bounds a transfer
// that waits for each 32 KiB packet.
const sftpConcurrency = 64

// SFTP is a file browser session on an SSH connection (an SFTP subsystem
// channel beside the terminal's): list, create, rename, delete, and
// transfers (Upload, Download). Remote paths are slash-separated. Close
// ends it; the connection stays for its other users.
type SFTP struct {
	c       *sftp.Client
	inst    string
	untrack func() // ends its entry in Connector.Sessions
	once    sync.Once
}

// RemoteFile is one entry of a remote directory.
type RemoteFile struct {
	Name    string
	Path    string // absolute
	Size    int64
	Mode    fs.FileMode
	ModTime time.Time
	// Link reports a symbolic link; Mode and Size are its target's when it
	// resolves (IsDir then says whether to open it).
	Link bool
}

// IsDir reports a directory (or a link to one).
func (f RemoteFile) IsDir() bool { return f.Mode.IsDir() }

// SFTP opens an SFTP session on the connection. ctx bounds the start.
func (h *SSHClient) SFTP(ctx context.Context) (*SFTP, error) {
	type result struct {
		c   *sftp.Client
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := sftp.NewClient(h.c.client, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true),
			sftp.MaxConcurrentRequestsPerFile(sftpConcurrency))
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, &UserError{What: fmt.Sprintf("Cannot browse files on %s", h.Request.Instance.Name),
				Why: "the VM's SSH server has no SFTP subsystem, or refused it: " + r.err.Error(),
				Fix: "Enable SFTP in the VM's sshd_config (Subsystem sftp …).", Err: r.err}
		}
		untrack := h.cs.cfg.Connector.Track(SessionInfo{Kind: "Files", Target: h.Request.Instance.Name, Since: time.Now()})
		return &SFTP{c: r.c, inst: h.Request.Instance.Name, untrack: untrack}, nil
	case <-ctx.Done():
		go func() { // ends with the connection at the latest
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Close ends the SFTP session.
func (f *SFTP) Close() error {
	f.once.Do(f.untrack)
	return f.c.Close()
}

// Home is the directory the session starts in: the user's home.
func (f *SFTP) Home() (string, error) {
	p, err := f.c.Getwd()
	if err != nil {
		return "", fmt.Errorf("sftp home on %s: %w", f.inst, err)
	}
	return p, nil
}

// List lists dir, directories first, then by name.
func (f *SFTP) List(ctx context.Context, dir string) ([]RemoteFile, error) {
	infos, err := f.c.ReadDirContext(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("list %s on %s: %w", dir, f.inst, err)
	}
	out := make([]RemoteFile, 0, len(infos))
	for _, fi := range infos {
		rf := RemoteFile{Name: fi.Name(), Path: path.Join(dir, fi.Name()), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			rf.Link = true
			if t, err := f.c.Stat(rf.Path); err == nil {
				rf.Mode, rf.Size = t.Mode()|fs.ModeSymlink, t.Size()
			}
		}
		out = append(out, rf)
	}
	slices.SortFunc(out, func(a, b RemoteFile) int {
		if a.IsDir() != b.IsDir() {
			if a.IsDir() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Stat describes one remote path.
func (f *SFTP) Stat(p string) (RemoteFile, error) {
	fi, err := f.c.Stat(p)
	if err != nil {
		return RemoteFile{}, fmt.Errorf("stat %s on %s: %w", p, f.inst, err)
	}
	return RemoteFile{Name: path.Base(p), Path: p, Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}, nil
}

// Mkdir creates a directory.
func (f *SFTP) Mkdir(p string) error {
	if err := f.c.Mkdir(p); err != nil {
		return fmt.Errorf("create folder %s on %s: %w", p, f.inst, err)
	}
	return nil
}

// Rename renames (or moves) a file or directory; an existing target is
// refused.
func (f *SFTP) Rename(from, to string) error {
	if _, err := f.c.Lstat(to); err == nil {
		return fmt.Errorf("rename %s to %s on %s: %w", from, to, f.inst, fs.ErrExist)
	}
	if err := f.c.Rename(from, to); err != nil {
		return fmt.Errorf("rename %s to %s on %s: %w", from, to, f.inst, err)
	}
	return nil
}

// Remove deletes a file, or a directory with everything in it.
func (f *SFTP) Remove(ctx context.Context, p string) error {
	if p == "/" || p == "" {
		return fmt.Errorf("delete %q on %s: refusing to delete the root", p, f.inst)
	}
	fi, err := f.c.Lstat(p)
	if err != nil {
		return fmt.Errorf("delete %s on %s: %w", p, f.inst, err)
	}
	if !fi.IsDir() {
		if err := f.c.Remove(p); err != nil {
			return fmt.Errorf("delete %s on %s: %w", p, f.inst, err)
		}
		return nil
	}
	entries, err := f.c.ReadDirContext(ctx, p)
	if err != nil {
		return fmt.Errorf("delete %s on %s: %w", p, f.inst, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.Remove(ctx, path.Join(p, e.Name())); err != nil {
			return err
		}
	}
	if err := f.c.RemoveDirectory(p); err != nil {
		return fmt.Errorf("delete %s on %s: %w", p, f.inst, err)
	}
	return nil
}
