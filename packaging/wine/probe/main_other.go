//go:build !windows

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "probe runs on Windows only (GOOS=windows go build ./packaging/wine/probe)")
	os.Exit(2)
}
