package tunnel

// Reconnecting reports whether the relay connection has dropped and the
// Conn is resuming the session: Read and Write wait meanwhile. A front end
// polls it to say "reconnecting…" while nothing moves.
func (c *Conn) Reconnecting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reconnecting
}
