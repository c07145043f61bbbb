package systest

import (
	"net"
	"time"
)

func dialTCP(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, 200*time.Millisecond)
}
