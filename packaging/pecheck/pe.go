package main

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// Resource types (winuser.h RT_*) the checks look for.
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
	rtManifest  = 24
)

// resources walks the resource tree of f (type → name → language) and
// returns the data of every resource with a numeric type, by type.
// Named types are skipped: Windows itself only defines numeric ones.
func resources(f *pe.File) (map[uint32][][]byte, error) {
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return nil, errors.New("not a PE32+ (64-bit) image")
	}
	dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	if dir.Size == 0 {
		return map[uint32][][]byte{}, nil
	}
	var sec *pe.Section
	for _, s := range f.Sections {
		if dir.VirtualAddress >= s.VirtualAddress && dir.VirtualAddress < s.VirtualAddress+s.VirtualSize {
			sec = s
		}
	}
	if sec == nil {
		return nil, fmt.Errorf("resource directory at rva %#x is in no section", dir.VirtualAddress)
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("read section %s: %w", sec.Name, err)
	}
	base := dir.VirtualAddress - sec.VirtualAddress // resource tree offset in data
	if int64(base) >= int64(len(data)) {
		return nil, fmt.Errorf("resource directory at rva %#x is past the %d bytes of section %s", dir.VirtualAddress, len(data), sec.Name)
	}
	rsrc := data[base:]

	// entries returns the (id, offset, isDir) entries of the directory at off.
	type entry struct {
		id    uint32
		named bool
		off   uint32
		dir   bool
	}
	entries := func(off uint32) ([]entry, error) {
		if int(off)+16 > len(rsrc) {
			return nil, fmt.Errorf("resource directory at %#x out of bounds", off)
		}
		n := int(binary.LittleEndian.Uint16(rsrc[off+12:])) + int(binary.LittleEndian.Uint16(rsrc[off+14:]))
		if int(off)+16+8*n > len(rsrc) {
			return nil, fmt.Errorf("resource directory at %#x: %d entries out of bounds", off, n)
		}
		es := make([]entry, n)
		for i := range es {
			p := rsrc[int(off)+16+8*i:]
			name, to := binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:])
			es[i] = entry{id: name &^ (1 << 31), named: name&(1<<31) != 0, off: to &^ (1 << 31), dir: to&(1<<31) != 0}
		}
		return es, nil
	}
	// leaf reads the data entry at off: an RVA and a size.
	leaf := func(off uint32) ([]byte, error) {
		if int(off)+16 > len(rsrc) {
			return nil, fmt.Errorf("resource data entry at %#x out of bounds", off)
		}
		rva, size := binary.LittleEndian.Uint32(rsrc[off:]), binary.LittleEndian.Uint32(rsrc[off+4:])
		start := int64(rva) - int64(sec.VirtualAddress)
		if start < 0 || start+int64(size) > int64(len(data)) {
			return nil, fmt.Errorf("resource data at rva %#x (%d bytes) is outside section %s", rva, size, sec.Name)
		}
		return data[start : start+int64(size)], nil
	}

	out := map[uint32][][]byte{}
	types, err := entries(0)
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		if t.named || !t.dir {
			continue
		}
		names, err := entries(t.off)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if !n.dir {
				continue
			}
			langs, err := entries(n.off)
			if err != nil {
				return nil, err
			}
			for _, l := range langs {
				if l.dir {
					continue
				}
				b, err := leaf(l.off)
				if err != nil {
					return nil, err
				}
				out[t.id] = append(out[t.id], b)
			}
		}
	}
	return out, nil
}

// versionInfo is what a VS_VERSIONINFO resource says.
type versionInfo struct {
	FileVersion [4]uint16         // VS_FIXEDFILEINFO dwFileVersionMS/LS
	Strings     map[string]string // StringFileInfo values, all tables merged
}

// parseVersionInfo decodes a VS_VERSIONINFO block: a tree of
// {wLength, wValueLength, wType, szKey, pad, Value, pad, Children}, each
// aligned to 4 bytes.
func parseVersionInfo(b []byte) (versionInfo, error) {
	vi := versionInfo{Strings: map[string]string{}}
	key, value, children, err := versionBlock(b)
	if err != nil {
		return vi, err
	}
	if key != "VS_VERSION_INFO" {
		return vi, fmt.Errorf("version resource key %q, want VS_VERSION_INFO", key)
	}
	if len(value) < 52 || binary.LittleEndian.Uint32(value) != 0xFEEF04BD {
		return vi, errors.New("version resource has no VS_FIXEDFILEINFO")
	}
	ms, ls := binary.LittleEndian.Uint32(value[8:]), binary.LittleEndian.Uint32(value[12:])
	vi.FileVersion = [4]uint16{uint16(ms >> 16), uint16(ms), uint16(ls >> 16), uint16(ls)}
	for len(children) > 0 {
		k, _, tables, n, err := versionChild(children)
		if err != nil {
			return vi, err
		}
		children = children[n:]
		if k != "StringFileInfo" {
			continue
		}
		for len(tables) > 0 {
			_, _, strs, n, err := versionChild(tables)
			if err != nil {
				return vi, err
			}
			tables = tables[n:]
			for len(strs) > 0 {
				sk, sv, _, n, err := versionChild(strs)
				if err != nil {
					return vi, err
				}
				strs = strs[n:]
				vi.Strings[sk] = utf16String(sv)
			}
		}
	}
	return vi, nil
}

// versionChild parses the block at the start of b and returns its key,
// value and children, and how many bytes (padding included) it took.
func versionChild(b []byte) (key string, value, children []byte, n int, err error) {
	if len(b) < 6 {
		return "", nil, nil, 0, errors.New("version block truncated")
	}
	l := int(binary.LittleEndian.Uint16(b))
	if l < 6 || l > len(b) {
		return "", nil, nil, 0, fmt.Errorf("version block length %d out of bounds (%d bytes left)", l, len(b))
	}
	key, value, children, err = versionBlock(b[:l])
	return key, value, children, min(align4(l), len(b)), err
}

// versionBlock splits one block (b is exactly wLength bytes).
func versionBlock(b []byte) (key string, value, children []byte, err error) {
	if len(b) < 6 {
		return "", nil, nil, errors.New("version block truncated")
	}
	valueLen, typ := int(binary.LittleEndian.Uint16(b[2:])), binary.LittleEndian.Uint16(b[4:])
	if typ == 1 { // text: wValueLength counts UTF-16 words
		valueLen *= 2
	}
	p := 6
	var k []uint16
	for ; p+1 < len(b); p += 2 {
		c := binary.LittleEndian.Uint16(b[p:])
		if c == 0 {
			break
		}
		k = append(k, c)
	}
	p = align4(p + 2)
	if p+valueLen > len(b) {
		if p > len(b) {
			p = len(b)
		}
		valueLen = len(b) - p // some writers overstate wValueLength; clamp
	}
	value = b[p : p+valueLen]
	p = min(align4(p+valueLen), len(b))
	return string(utf16.Decode(k)), value, b[p:], nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// utf16String decodes little-endian UTF-16 up to the first NUL.
func utf16String(b []byte) string {
	var u []uint16
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}
