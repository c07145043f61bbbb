package proxy

import "time"

// SetPACTimeout shortens the PAC run limit for a test; the returned func
// restores it.
func SetPACTimeout(d time.Duration) func() {
	old := pacTimeout
	pacTimeout = d
	return func() { pacTimeout = old }
}
