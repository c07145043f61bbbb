package tunnel_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"iapdesk/tunnel/relaytest"
)

// relayProcessEnv makes the test binary serve a relay and an echo backend
// instead of running tests (see TestMain), for benchmarks that measure the
// client's memory alone.
const relayProcessEnv = "IAPDESK_TEST_RELAY_PROCESS"

// serveRelayProcess runs in the child: it prints the relay URL and serves
// until stdin closes.
func serveRelayProcess() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	srv := relaytest.NewServer(relaytest.Config{})
	srv.Route(relaytest.VM(vm.Project, vm.Zone, vm.Instance, vm.Port), ln.Addr().String())
	fmt.Println(srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
	ln.Close()
}

// startRelayProcess starts the child relay and returns its URL.
func startRelayProcess(b testing.TB) string {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), relayProcessEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("relay process: %v", err)
	}
	return strings.TrimSpace(line)
}
