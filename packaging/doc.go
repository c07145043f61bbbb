// Package packaging holds no Go API: it is the home of the release scripts
// (packaging.mk, version.sh, test-packages.sh, the linux/, windows/ and macos/
// files) and of the tests that pin their behaviour, so `go test ./...` runs
// them in CI.
package packaging
