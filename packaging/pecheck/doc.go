// Command pecheck checks that a Windows executable is what
// `make package-windows` promises: a PE32+ x86-64 GUI program carrying an
// icon, a manifest and a version resource whose strings match the build, and
// importing no MinGW runtime DLL (which users do not have).
//
//	go run ./packaging/pecheck -version v0.1.0-3-gabc1234 -file-version 0,1,0,3 build/windows/iapdesk.exe
//
// It prints what it found and exits 1 when a check fails.
package main
