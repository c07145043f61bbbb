package platform

// NetChange is a reason to check network connections at once rather than
// wait for TCP to notice that they are dead.
type NetChange int

// The changes WatchNetwork reports.
const (
	// NetWake: the system resumed from sleep (logind's
	// PrepareForSleep(false) on Linux).
	NetWake NetChange = iota + 1
	// NetRoute: a default route appeared, went or changed.
	NetRoute
	// NetAddress: a local address was added or removed.
	NetAddress
)

// String returns "wake", "route" or "address".
func (c NetChange) String() string {
	switch c {
	case NetWake:
		return "wake"
	case NetRoute:
		return "route"
	case NetAddress:
		return "address"
	}
	return "unknown"
}
