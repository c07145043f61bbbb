package views

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// sftpPane is the file browser beside a terminal tab: an SFTP session on
// the tab's SSH connection. It lists a directory (name, size, mode, date),
// navigates (home, path bar, up, into folders), uploads (file and folder
// pickers, files dropped on the window), downloads, creates folders,
// renames and deletes (after a confirmation), with a progress bar, rate
// and Cancel for each transfer. UI thread only; SFTP calls run in window
// jobs and loops.
type sftpPane struct {
	t    *sshTab
	w    *Window
	root fyne.CanvasObject

	pathBar   *widget.Entry
	list      *widget.List
	info      *widget.Label
	transfers *fyne.Container

	mu      sync.Mutex // guards f: closed from the UI, used by jobs
	f       *app.SFTP
	dir     string
	entries []app.RemoteFile
	sel     int // selected entry; -1 for none
	// progress is the fraction done of the transfer that reported last.
	progress float64
}

func newSFTPPane(t *sshTab) *sftpPane {
	p := &sftpPane{t: t, w: t.w, sel: -1}
	p.pathBar = widget.NewEntry()
	p.pathBar.OnSubmitted = func(s string) { p.navigate(s) }
	p.list = widget.NewList(func() int { return len(p.entries) }, p.newRow, p.updateRow)
	p.list.OnSelected = func(id widget.ListItemID) {
		p.sel = id
		if id >= 0 && id < len(p.entries) && p.entries[id].IsDir() {
			p.list.UnselectAll()
			p.navigate(p.entries[id].Path)
		}
	}
	p.list.OnUnselected = func(widget.ListItemID) { p.sel = -1 }
	p.info = widget.NewLabel("")
	p.transfers = container.NewVBox()
	tools := container.NewHBox(
		widget.NewButtonWithIcon("", theme.HomeIcon(), func() { p.navigate("") }),
		widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { p.navigate(path.Dir(p.dir)) }),
		widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { p.navigate(p.dir) }),
		widget.NewButtonWithIcon("", theme.FolderNewIcon(), p.newFolder),
		widget.NewButtonWithIcon("", theme.UploadIcon(), p.uploadFile),
		widget.NewButtonWithIcon("", theme.FolderOpenIcon(), p.uploadFolder),
		widget.NewButtonWithIcon("", theme.DownloadIcon(), p.download),
		widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), p.rename),
		widget.NewButtonWithIcon("", theme.DeleteIcon(), p.remove),
	)
	top := container.NewVBox(tools, p.pathBar)
	p.root = container.NewBorder(top, container.NewVBox(p.transfers, p.info), nil, nil, p.list)
	return p
}

// open starts the SFTP session on the tab's connection (once) and lists
// the home directory; files dropped on the window go up into the shown
// directory.
func (p *sftpPane) open() {
	p.w.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		if p.t.split == nil {
			return
		}
		var paths []string
		for _, u := range uris {
			if u.Scheme() == "file" {
				paths = append(paths, u.Path())
			}
		}
		if len(paths) > 0 {
			p.upload(paths, true)
		}
	})
	p.mu.Lock()
	opened := p.f != nil
	p.mu.Unlock()
	if opened {
		return
	}
	c := p.t.client
	if c == nil {
		p.info.SetText("Not connected: files show once the session runs.")
		return
	}
	p.w.run("Opening files on "+p.t.name, func(ctx context.Context) error {
		f, err := c.SFTP(ctx)
		if err != nil {
			return err
		}
		p.mu.Lock()
		p.f = f
		p.mu.Unlock()
		p.w.do(func() { p.navigate("") })
		return nil
	})
}

// close ends the SFTP session (the tab closed).
func (p *sftpPane) close() {
	p.mu.Lock()
	f := p.f
	p.f = nil
	p.mu.Unlock()
	if f != nil {
		p.w.job("", func(context.Context) { _ = f.Close() })
	}
}

func (p *sftpPane) sftp() *app.SFTP {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.f
}

// navigate lists dir ("" for home) off the UI thread.
func (p *sftpPane) navigate(dir string) {
	f := p.sftp()
	if f == nil {
		return
	}
	p.w.run("Listing "+dir, func(ctx context.Context) error {
		if dir == "" {
			var err error
			if dir, err = f.Home(); err != nil {
				return err
			}
		}
		entries, err := f.List(ctx, dir)
		if err != nil {
			return err
		}
		p.w.do(func() { p.show(dir, entries) })
		return nil
	})
}

func (p *sftpPane) show(dir string, entries []app.RemoteFile) {
	// Copies in progress (ours or another iapdesk's) are not files yet.
	entries = slices.DeleteFunc(entries, func(e app.RemoteFile) bool { return app.IsPartialCopy(e.Name) })
	p.dir, p.entries, p.sel = dir, entries, -1
	p.pathBar.SetText(dir)
	p.list.UnselectAll()
	p.list.Refresh()
	p.info.SetText(fmt.Sprintf("%d items", len(entries)))
}

// newRow is a list row: the name above its mode, size and date, so a
// narrow pane still shows every column.
func (p *sftpPane) newRow() fyne.CanvasObject {
	name := widget.NewLabel("name")
	name.Truncation = fyne.TextTruncateEllipsis
	meta := widget.NewLabel("drwxr-xr-x  1.0 MiB  2006-01-02 15:04")
	meta.TextStyle = fyne.TextStyle{Monospace: true}
	meta.SizeName = theme.SizeNameCaptionText
	meta.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), nil,
		container.New(&tightRows{}, name, meta))
}

func (p *sftpPane) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(p.entries) {
		return
	}
	e := p.entries[id]
	row := o.(*fyne.Container)
	text, icon := row.Objects[0].(*fyne.Container), row.Objects[1].(*widget.Icon)
	name, meta := text.Objects[0].(*widget.Label), text.Objects[1].(*widget.Label)
	name.SetText(e.Name)
	if e.IsDir() {
		icon.SetResource(theme.FolderIcon())
	} else {
		icon.SetResource(theme.FileIcon())
	}
	size := byteCount(e.Size)
	if e.IsDir() {
		size = ""
	}
	meta.SetText(fmt.Sprintf("%s %9s  %s", e.Mode.String(), size, e.ModTime.Local().Format("2006-01-02 15:04")))
}

// tightRows stacks objects with no padding between them: a name and its
// details read as one entry.
type tightRows struct{}

func (tightRows) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		h := o.MinSize().Height * 0.8
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
}

func (tightRows) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height * 0.8
	}
	return s
}

// selected is the selected entry.
func (p *sftpPane) selected() (app.RemoteFile, bool) {
	if p.sel < 0 || p.sel >= len(p.entries) {
		return app.RemoteFile{}, false
	}
	return p.entries[p.sel], true
}

func (p *sftpPane) newFolder() {
	f := p.sftp()
	if f == nil {
		return
	}
	name := widget.NewEntry()
	dialog.ShowForm("New folder", "Create", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", name)}, func(ok bool) {
		if !ok || name.Text == "" {
			return
		}
		dir := p.dir
		p.w.run("Creating folder", func(ctx context.Context) error {
			if err := f.Mkdir(path.Join(dir, name.Text)); err != nil {
				return err
			}
			p.w.do(func() { p.navigate(dir) })
			return nil
		})
	}, p.w.win)
}

func (p *sftpPane) rename() {
	f, e, ok := p.sftp(), app.RemoteFile{}, false
	if e, ok = p.selected(); !ok || f == nil {
		return
	}
	name := widget.NewEntry()
	name.SetText(e.Name)
	dialog.ShowForm("Rename "+e.Name, "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("New name", name)}, func(ok bool) {
		if !ok || name.Text == "" || name.Text == e.Name {
			return
		}
		dir := p.dir
		p.w.run("Renaming", func(ctx context.Context) error {
			if err := f.Rename(e.Path, path.Join(dir, name.Text)); err != nil {
				return err
			}
			p.w.do(func() { p.navigate(dir) })
			return nil
		})
	}, p.w.win)
}

func (p *sftpPane) remove() {
	f, e, ok := p.sftp(), app.RemoteFile{}, false
	if e, ok = p.selected(); !ok || f == nil {
		return
	}
	what := e.Name
	if e.IsDir() {
		what += " and everything in it"
	}
	dialog.ShowConfirm("Delete "+e.Name+"?", fmt.Sprintf("Delete %s on %s? This cannot be undone.", what, p.t.name), func(ok bool) {
		if !ok {
			return
		}
		dir := p.dir
		p.w.run("Deleting "+e.Name, func(ctx context.Context) error {
			if err := f.Remove(ctx, e.Path); err != nil {
				return err
			}
			p.w.do(func() { p.navigate(dir) })
			return nil
		})
	}, p.w.win)
}

func (p *sftpPane) uploadFile() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		_ = r.Close()
		p.upload([]string{r.URI().Path()}, false)
	}, p.w.win)
}

func (p *sftpPane) uploadFolder() {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		p.upload([]string{u.Path()}, true)
	}, p.w.win)
}

func (p *sftpPane) download() {
	e, ok := p.selected()
	if !ok {
		p.info.SetText("Select a file or folder to download.")
		return
	}
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		p.startTransfer("Downloading "+e.Name, func(ctx context.Context, f *app.SFTP, o app.TransferOptions) error {
			o.Recursive = e.IsDir()
			return f.Download(ctx, []string{e.Path}, u.Path(), o)
		})
	}, p.w.win)
	if dir, err := os.UserHomeDir(); err == nil {
		if home, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			d.SetLocation(home)
		}
	}
	d.Show()
}

// upload copies local paths into the shown directory.
func (p *sftpPane) upload(paths []string, recursive bool) {
	dir := p.dir
	what := "Uploading " + path.Base(paths[0])
	if len(paths) > 1 {
		what = fmt.Sprintf("Uploading %d items", len(paths))
	}
	p.startTransfer(what, func(ctx context.Context, f *app.SFTP, o app.TransferOptions) error {
		o.Recursive = recursive
		err := f.Upload(ctx, paths, dir, o)
		p.w.do(func() {
			if p.dir == dir {
				p.navigate(dir)
			}
		})
		return err
	})
}

// startTransfer runs a transfer in a window loop with a row showing its
// progress and rate, and a Cancel button.
func (p *sftpPane) startTransfer(what string, run func(ctx context.Context, f *app.SFTP, o app.TransferOptions) error) {
	f := p.sftp()
	if f == nil {
		return
	}
	ctx, cancel := context.WithCancel(p.t.ctx)
	label := widget.NewLabel(what)
	label.Truncation = fyne.TextTruncateEllipsis
	bar := widget.NewProgressBar()
	var row *fyne.Container
	cancelBtn := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), cancel)
	row = container.NewBorder(nil, nil, nil, cancelBtn, container.NewVBox(label, bar))
	p.transfers.Add(row)
	p.root.Refresh() // the bottom of the border grows
	opts := app.TransferOptions{
		ProgressEvery: 200 * time.Millisecond,
		Progress: func(pr app.TransferProgress) {
			p.w.do(func() {
				if pr.Total > 0 {
					p.progress = float64(pr.Bytes) / float64(pr.Total)
					bar.SetValue(p.progress)
				}
				label.SetText(fmt.Sprintf("%s — %s of %s, %s/s", what, byteCount(pr.Bytes), byteCount(pr.Total), byteCount(int64(pr.Rate()))))
			})
		},
		Overwrite: func(ctx context.Context, target string) (bool, error) { return p.askOverwrite(ctx, target) },
	}
	p.w.loops.Go(func() {
		err := run(ctx, f, opts)
		cancel()
		p.w.do(func() {
			p.transfers.Remove(row)
			p.root.Refresh()
			switch {
			case errors.Is(err, context.Canceled):
				p.info.SetText(what + ": cancelled")
			case errors.Is(err, app.ErrSkipped) && !errors.Is(err, fs.ErrNotExist):
				p.info.SetText(what + ": not overwritten")
			case err != nil:
				p.w.showError(err)
			default:
				p.info.SetText(what + ": done")
			}
		})
	})
}

// askOverwrite asks on the UI thread whether to replace target, and waits
// for the answer off it.
func (p *sftpPane) askOverwrite(ctx context.Context, target string) (bool, error) {
	answer := make(chan bool, 1)
	p.w.do(func() {
		dialog.ShowConfirm("Replace "+path.Base(target)+"?", target+" exists. Replace it?", func(ok bool) { answer <- ok }, p.w.win)
	})
	select {
	case ok := <-answer:
		return ok, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// byteCount is n as the tunnels panel writes sizes.
func byteCount(n int64) string { return formatBytes(uint64(max(n, 0))) }
