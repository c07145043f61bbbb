package platform

import (
	"context"

	"iapdesk/platform/atomicfile"
)

// LockFile takes an exclusive advisory lock on path, waiting until ctx is
// done: atomicfile.Lock, which documents the semantics. It stays here for
// the app's callers that already import platform.
func LockFile(ctx context.Context, path string) (unlock func() error, err error) {
	return atomicfile.Lock(ctx, path)
}
