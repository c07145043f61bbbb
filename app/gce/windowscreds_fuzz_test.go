package gce

import (
	"testing"
)

// maxFuzzSerialLen bounds FuzzReplyScanner's serial output; it is well under
// maxAgentBuffer, so no split of it drops an unterminated line.
const maxFuzzSerialLen = 8 << 10

// FuzzReplyScanner feeds the scanner of serial port 4 arbitrary output,
// which the VM (anyone with root on it) writes: it must not panic, a reply
// it finds carries our modulus, and it finds the same reply whether the
// output comes in one read or is split anywhere into three.
func FuzzReplyScanner(f *testing.F) {
	const mod = "ab/cd+ef=="
	ours := `{"encryptedPassword":"eA==","userName":"carol","passwordFound":true,"modulus":"ab/cd+ef==","hashFunction":"sha256"}` + "\n"
	f.Add(mod, `{"modulus":"zz"}`+"\n"+ours, uint16(20), uint16(50))
	f.Add(mod, `{"userName":"carol","modulus":"ab\/cd+ef=="}`+"\r\n", uint16(0), uint16(7))
	f.Add(mod, "Windows agent starting\n"+ours[:40], uint16(30), uint16(30))
	f.Add("", "{}\n", uint16(1), uint16(2))
	f.Fuzz(func(t *testing.T, modulus, out string, cut1, cut2 uint16) {
		if len(out) > maxFuzzSerialLen {
			return
		}
		whole := replyScanner{modulus: modulus}
		want, wantOK := whole.feed(out)
		if wantOK && want.Modulus != modulus {
			t.Fatalf("feed(%q) found the reply for modulus %q, want %q", out, want.Modulus, modulus)
		}
		i, j := int(cut1)%(len(out)+1), int(cut2)%(len(out)+1)
		if i > j {
			i, j = j, i
		}
		split := replyScanner{modulus: modulus}
		var got agentReply
		gotOK := false
		for _, chunk := range []string{out[:i], out[i:j], out[j:]} {
			if got, gotOK = split.feed(chunk); gotOK {
				break
			}
		}
		if gotOK != wantOK || got != want {
			t.Fatalf("feed(%q) in reads split at %d and %d = %+v, %v; in one read %+v, %v", out, i, j, got, gotOK, want, wantOK)
		}
	})
}
