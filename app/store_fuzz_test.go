package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// maxFuzzDocumentLen bounds FuzzDecodeDocument's input: a few dozen
// profiles and settings levels fit, and larger JSON only slows each run.
const maxFuzzDocumentLen = 16 << 10

// FuzzDecodeDocument feeds the connections.json reader arbitrary files (a
// file damaged by a crash or a full disk, or edited by hand): it must not
// panic; a newer schema, and only that, is ErrConfigTooNew; an accepted
// file of any schema comes out as the current schema; and what it accepts,
// encoded as ConfigStore.write saves it, reads back unchanged. The
// committed corpus (testdata/fuzz/FuzzDecodeDocument) holds a schema 1 and
// a schema 2 file.
func FuzzDecodeDocument(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "connections-v1.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"schemaVersion":2,"revision":1,"profiles":[]}`))
	f.Add([]byte(`{"schemaVersion":3}`))
	f.Add([]byte(`{"version":1,"rdpUsernames":{"projects/p/zones/z/instances/i":" u "}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzDocumentLen {
			return
		}
		doc, ver, err := decodeDocument(data)
		if err != nil {
			if tooNew := errors.Is(err, ErrConfigTooNew); tooNew != (ver > SchemaVersion) {
				t.Fatalf("decodeDocument(%q) = schema %d, %v; ErrConfigTooNew %v, want %v", data, ver, err, tooNew, !tooNew)
			}
			return
		}
		if ver < 1 || ver > SchemaVersion || doc.SchemaVersion != SchemaVersion {
			t.Fatalf("decodeDocument(%q) = schema %d (from %d), want %d (from 1-%d)", data, doc.SchemaVersion, ver, SchemaVersion, SchemaVersion)
		}
		saved, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatalf("decodeDocument(%q) accepted a document that cannot be saved: %v", data, err)
		}
		back, backVer, err := decodeDocument(saved)
		if err != nil || backVer != SchemaVersion {
			t.Fatalf("decodeDocument(saved) = schema %d, %v; want %d, nil\n%s", backVer, err, SchemaVersion, saved)
		}
		again, err := json.MarshalIndent(back, "", "  ")
		if err != nil || !bytes.Equal(again, saved) {
			t.Fatalf("saving, reading and saving again changed the document (%v):\n%s\nthen\n%s", err, saved, again)
		}
	})
}
