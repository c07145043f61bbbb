//go:build !unix

package atomicfile_test

const killChildEnv = "ATOMICFILE_TEST_KILL_CHILD"

func killChild() {}
