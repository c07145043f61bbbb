package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrIsDirectory reports a directory given to a transfer without
// Recursive (scp without -r).
var ErrIsDirectory = errors.New("is a directory (copy it recursively)")

// ErrSkipped reports a file not copied because the user chose not to
// overwrite its target.
var ErrSkipped = errors.New("not overwritten")

// TransferOptions configure an Upload or Download.
type TransferOptions struct {
	// Recursive copies directories with everything in them.
	Recursive bool
	// Overwrite is asked, from the transfer's goroutine, whether to
	// replace a target file that exists; nil replaces it.
	Overwrite func(ctx context.Context, target string) (bool, error)
	// Progress is called from the transfer's goroutine at most every
	// ProgressEvery and once at the end. It must not block for long.
	Progress func(TransferProgress)
	// ProgressEvery defaults to 100 ms.
	ProgressEvery time.Duration
}

// TransferProgress is how far a transfer is.
type TransferProgress struct {
	File      string // the file being copied (its source path)
	Files     int    // files to copy
	FilesDone int
	Bytes     int64 // bytes copied so far, all files
	Total     int64 // bytes to copy, all files
	Elapsed   time.Duration
	Done      bool // the last report
}

// Rate is the average speed so far in bytes per second.
func (p TransferProgress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Bytes) / p.Elapsed.Seconds()
}

// FileError is one file a transfer could not copy.
type FileError struct {
	Path string // the source
	Err  error
}

// TransferError lists the files a transfer could not copy; the others
// were copied.
type TransferError struct {
	Failed []FileError
}

func (e *TransferError) Error() string {
	var b strings.Builder
	for i, f := range e.Failed {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", f.Path, f.Err)
	}
	return b.String()
}

// Unwrap returns every file's error.
func (e *TransferError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}

// transferItem is one file or directory to create.
type transferItem struct {
	src, dst string
	dir      bool
	size     int64
	mode     fs.FileMode
}

// side is one end of a transfer: the local file system or the SFTP
// session. Paths are the side's own (slash-separated remotely).
type side interface {
	stat(p string) (fs.FileInfo, error)
	readDir(ctx context.Context, p string) ([]fs.FileInfo, error)
	join(elem ...string) string
	base(p string) string
	dirOf(p string) string
	mkdirAll(p string) error
	open(p string) (io.ReadCloser, error)
	// createTemp creates a temporary file beside target, which commit
	// renames over target.
	createTemp(target string) (w io.WriteCloser, name string, err error)
	commit(tmp, target string, mode fs.FileMode) error
	remove(p string) error
}

// Upload copies local files (directories with Recursive) to the VM: into
// dest when it is a directory, else to dest itself (one source). A file
// is written under a temporary name and renamed over its target when
// complete, so a cancelled or failed copy never leaves a partial file
// named as the target. It goes on past a file that fails and returns a
// *TransferError listing those, or ctx's error once cancelled.
func (f *SFTP) Upload(ctx context.Context, sources []string, dest string, o TransferOptions) error {
	return transfer(ctx, localSide{}, remoteSide{f}, sources, dest, o)
}

// Download copies remote files (directories with Recursive) to this
// computer, as Upload does the other way.
func (f *SFTP) Download(ctx context.Context, sources []string, dest string, o TransferOptions) error {
	return transfer(ctx, remoteSide{f}, localSide{}, sources, dest, o)
}

func transfer(ctx context.Context, from, to side, sources []string, dest string, o TransferOptions) error {
	if len(sources) == 0 {
		return errors.New("copy: no source")
	}
	intoDir := false
	if fi, err := to.stat(dest); err == nil && fi.IsDir() {
		intoDir = true
	} else if len(sources) > 1 {
		return fmt.Errorf("copy to %s: %w", dest, errNotDir)
	}
	var items []transferItem
	var failed []FileError
	for _, src := range sources {
		target := dest
		if intoDir {
			target = to.join(dest, from.base(src))
		}
		got, err := plan(ctx, from, to, src, target, o.Recursive)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, FileError{Path: src, Err: err})
			continue
		}
		items = append(items, got...)
	}
	r := newReporter(o)
	for _, it := range items {
		if !it.dir {
			r.p.Files++
			r.p.Total += it.size
		}
	}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if it.dir {
			err = to.mkdirAll(it.dst)
		} else {
			err = copyFile(ctx, from, to, it, o, r)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, FileError{Path: it.src, Err: err})
		}
	}
	r.finish()
	if len(failed) > 0 {
		return &TransferError{Failed: failed}
	}
	return nil
}

var errNotDir = errors.New("not a directory (several sources need a directory)")

// plan lists what copying src to target creates, directories before
// their contents.
func plan(ctx context.Context, from, to side, src, target string, recursive bool) ([]transferItem, error) {
	fi, err := from.stat(src)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", src)
		}
		return []transferItem{{src: src, dst: target, size: fi.Size(), mode: fi.Mode()}}, nil
	}
	if !recursive {
		return nil, ErrIsDirectory
	}
	items := []transferItem{{src: src, dst: target, dir: true, mode: fi.Mode()}}
	entries, err := from.readDir(ctx, src)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.Mode()&fs.ModeSymlink != 0 {
			continue // as scp -r: links are not followed into loops
		}
		sub, err := plan(ctx, from, to, from.join(src, e.Name()), to.join(target, e.Name()), true)
		if err != nil {
			return nil, err
		}
		items = append(items, sub...)
	}
	return items, nil
}

// copyFile copies one file through a temporary file beside its target.
func copyFile(ctx context.Context, from, to side, it transferItem, o TransferOptions, r *reporter) error {
	if fi, err := to.stat(it.dst); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%s: %w", it.dst, ErrIsDirectory)
		}
		if o.Overwrite != nil {
			ok, err := o.Overwrite(ctx, it.dst)
			if err != nil {
				return err
			}
			if !ok {
				r.skip(it)
				return ErrSkipped
			}
		}
	}
	in, err := from.open(it.src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, tmp, err := to.createTemp(it.dst)
	if err != nil {
		return err
	}
	r.start(it.src)
	_, err = copyData(ctx, from, out, in, it.size, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = to.commit(tmp, it.dst, it.mode)
	}
	if err != nil {
		_ = to.remove(tmp)
		return err
	}
	r.fileDone()
	return nil
}

// copyData copies in to out the way SFTP is fast: many requests in flight
// (sftp.File.ReadFrom to the VM, WriteTo from it) rather than one 32 KiB
// packet per round trip through the relay.
func copyData(ctx context.Context, from side, out io.Writer, in io.Reader, size int64, r *reporter) (int64, error) {
	if _, remote := from.(remoteSide); remote {
		if wt, ok := in.(io.WriterTo); ok {
			return wt.WriteTo(&progressWriter{ctx: ctx, w: out, rep: r})
		}
	}
	return io.Copy(out, &progressReader{ctx: ctx, r: in, size: size, rep: r})
}

// progressWriter counts what is written and stops at ctx's end.
type progressWriter struct {
	ctx context.Context
	w   io.Writer
	rep *reporter
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.w.Write(b)
	p.rep.add(int64(n))
	return n, err
}

// progressReader counts what is read, stops at ctx's end and tells
// sftp.File.ReadFrom the size so it writes concurrently.
type progressReader struct {
	ctx  context.Context
	r    io.Reader
	size int64
	rep  *reporter
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.rep.add(int64(n))
	return n, err
}

// Size is the file's size (for sftp's concurrent writes).
func (p *progressReader) Size() int64 { return p.size }

// reporter throttles Progress calls. mu guards p and last: sftp's
// concurrent writes read from several goroutines.
type reporter struct {
	o     TransferOptions
	mu    sync.Mutex
	p     TransferProgress
	began time.Time
	last  time.Time
	every time.Duration
}

func newReporter(o TransferOptions) *reporter {
	every := o.ProgressEvery
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	now := time.Now()
	return &reporter{o: o, began: now, last: now, every: every}
}

func (r *reporter) report(force bool) {
	if r.o.Progress == nil {
		return
	}
	r.mu.Lock()
	now := time.Now()
	if !force && now.Sub(r.last) < r.every {
		r.mu.Unlock()
		return
	}
	r.last = now
	r.p.Elapsed = now.Sub(r.began)
	p := r.p
	r.mu.Unlock()
	r.o.Progress(p)
}

// add counts n more bytes; crossing a whole percent reports at once, so
// the last report of a transfer that stops (a stalled link) is never far
// behind.
func (r *reporter) add(n int64) {
	r.mu.Lock()
	before := r.p.Bytes
	r.p.Bytes += n
	crossed := r.p.Total > 0 && before*100/r.p.Total != r.p.Bytes*100/r.p.Total
	r.mu.Unlock()
	r.report(crossed)
}

func (r *reporter) start(file string) {
	r.mu.Lock()
	r.p.File = file
	r.mu.Unlock()
	r.report(true)
}

func (r *reporter) fileDone() {
	r.mu.Lock()
	r.p.FilesDone++
	r.mu.Unlock()
}

func (r *reporter) skip(it transferItem) {
	r.mu.Lock()
	r.p.Total -= it.size
	r.p.Files--
	r.mu.Unlock()
}

func (r *reporter) finish() {
	r.mu.Lock()
	r.p.Done = true
	r.mu.Unlock()
	r.report(true)
}

// tempSuffix ends the temporary names of files being copied.
const tempSuffix = ".iapdesk-part"

// IsPartialCopy reports whether a file name is that of a copy still in
// progress (or abandoned by a crash): Upload and Download write under such
// a name and rename it when complete.
func IsPartialCopy(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, tempSuffix)
}

// tempName is a hidden name beside target for its copy in progress.
func tempName(base string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "." + base + "." + hex.EncodeToString(b[:]) + tempSuffix
}

// localSide is this computer's file system.
type localSide struct{}

func (localSide) stat(p string) (fs.FileInfo, error) { return os.Stat(p) }
func (localSide) readDir(_ context.Context, p string) ([]fs.FileInfo, error) {
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}
func (localSide) join(elem ...string) string           { return filepath.Join(elem...) }
func (localSide) base(p string) string                 { return filepath.Base(p) }
func (localSide) dirOf(p string) string                { return filepath.Dir(p) }
func (localSide) mkdirAll(p string) error              { return os.MkdirAll(p, 0o755) }
func (localSide) open(p string) (io.ReadCloser, error) { return os.Open(p) }
func (localSide) remove(p string) error                { return os.Remove(p) }
func (localSide) createTemp(target string) (io.WriteCloser, string, error) {
	name := filepath.Join(filepath.Dir(target), tempName(filepath.Base(target)))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", err
	}
	return syncCloser{f}, name, nil
}
func (localSide) commit(tmp, target string, mode fs.FileMode) error {
	if err := os.Chmod(tmp, mode.Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}

// syncCloser flushes a downloaded file to disk before it is renamed over
// its target.
type syncCloser struct{ f *os.File }

func (s syncCloser) Write(p []byte) (int, error) { return s.f.Write(p) }
func (s syncCloser) Close() error {
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// remoteSide is the VM's file system through SFTP.
type remoteSide struct{ f *SFTP }

func (r remoteSide) stat(p string) (fs.FileInfo, error) { return r.f.c.Stat(p) }
func (r remoteSide) readDir(ctx context.Context, p string) ([]fs.FileInfo, error) {
	return r.f.c.ReadDirContext(ctx, p)
}
func (remoteSide) join(elem ...string) string { return path.Join(elem...) }
func (remoteSide) base(p string) string       { return path.Base(p) }
func (remoteSide) dirOf(p string) string      { return path.Dir(p) }
func (r remoteSide) mkdirAll(p string) error  { return r.f.c.MkdirAll(p) }
func (r remoteSide) open(p string) (io.ReadCloser, error) {
	return r.f.c.Open(p)
}
func (r remoteSide) remove(p string) error { return r.f.c.Remove(p) }
func (r remoteSide) createTemp(target string) (io.WriteCloser, string, error) {
	name := path.Join(path.Dir(target), tempName(path.Base(target)))
	f, err := r.f.c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, "", err
	}
	return f, name, nil
}
func (r remoteSide) commit(tmp, target string, mode fs.FileMode) error {
	if err := r.f.c.Chmod(tmp, mode.Perm()); err != nil {
		return err
	}
	if err := r.f.c.PosixRename(tmp, target); err == nil {
		return nil
	}
	// Without OpenSSH's posix-rename, SFTP's rename refuses an existing
	// target.
	if err := r.f.c.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return r.f.c.Rename(tmp, target)
}

// UploadFrom writes size bytes read from r to target on the VM (a stream
// rather than a file: data dropped from another program, the clipboard),
// through a temporary file renamed over target when complete, as Upload
// does; an existing target is replaced only if o.Overwrite agrees.
func (f *SFTP) UploadFrom(ctx context.Context, r io.Reader, size int64, target string, o TransferOptions) error {
	to := remoteSide{f}
	it := transferItem{src: path.Base(target), dst: target, size: size, mode: 0o644}
	rep := newReporter(o)
	rep.p.Files, rep.p.Total = 1, size
	err := copyFile(ctx, readerSide{r: r}, to, it, o, rep)
	rep.finish()
	return err
}

// readerSide is a transfer's source that is one stream, whatever the path.
type readerSide struct {
	localSide
	r io.Reader
}

func (s readerSide) open(string) (io.ReadCloser, error) { return io.NopCloser(s.r), nil }
