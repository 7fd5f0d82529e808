package layerkit

/*
#cgo pkg-config: layerkit
#include <stdlib.h>
#include <layerkit/layerkit.h>
*/
import "C"

import (
	"io/fs"
	"runtime"
	"time"
	"unsafe"
)

// Entry types, as `tar -tv` prints them (Entry.Type).
const (
	TypeFile     byte = '-'
	TypeDir      byte = 'd'
	TypeSymlink  byte = 'l'
	TypeHardLink byte = 'h'
	TypeCharDev  byte = 'c'
	TypeBlockDev byte = 'b'
	TypeFIFO     byte = 'p'
	TypeSocket   byte = 's'
	TypeOther    byte = '?'
)

// Entry is one tar entry of a layer, as `tar -tv` lists it (lk_entry), read
// from the tar headers only.
type Entry struct {
	Path     string // as stored, without a leading "./" or "/"
	Type     byte   // TypeFile '-', TypeDir 'd', TypeSymlink 'l', TypeHardLink 'h', TypeCharDev 'c', TypeBlockDev 'b', TypeFIFO 'p', TypeSocket 's', TypeOther '?'
	Mode     uint32 // permission bits with setuid/setgid/sticky (07777)
	UID      int64
	GID      int64
	Uname    string // "" when the header has none
	Gname    string
	Size     uint64 // a regular file's size (its logical size if sparse); 0 otherwise
	Mtime    int64  // Unix seconds
	Link     string // symlink target, or hard link target path; "" otherwise
	DevMajor uint32 // device nodes
	DevMinor uint32
	Sparse   bool // a sparse file
	Whiteout bool // ".wh.<name>": deletes <name> from lower layers (OCI layer.md)
	Opaque   bool // ".wh..wh..opq": hides the directory's lower contents
	// Xattrs are the extended attributes (e.g. "security.capability"), raw
	// values; nil when the entry has none.
	Xattrs map[string][]byte
}

// ModTime is Mtime as a time.Time (UTC).
func (e Entry) ModTime() time.Time { return time.Unix(e.Mtime, 0).UTC() }

// FileMode is Mode and Type as an io/fs FileMode.
func (e Entry) FileMode() fs.FileMode {
	m := fs.FileMode(e.Mode & 0o777)
	if e.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if e.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if e.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch e.Type {
	case TypeDir:
		m |= fs.ModeDir
	case TypeSymlink:
		m |= fs.ModeSymlink
	case TypeCharDev:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case TypeBlockDev:
		m |= fs.ModeDevice
	case TypeFIFO:
		m |= fs.ModeNamedPipe
	case TypeSocket:
		m |= fs.ModeSocket
	case TypeOther:
		m |= fs.ModeIrregular
	}
	return m
}

// Entries lists the tar entries of layer `layer` (0 = bottom) of img, reading
// the layer's tar headers (bodies are skipped where the input allows).
//
// A layer that is not a complete tar yields the entries before the damage
// AND an error wrapping ErrTruncated (the tar ends early) or ErrMalformed (a
// damaged header) whose Message says why. Other errors (ErrInvalid for an
// index out of range, ErrNotFound for an absent or foreign layer, ErrIO,
// ErrLimit, ErrUnsupported for a large layer of a compressed read-once
// archive) come with no entries.
func (a *Archive) Entries(img *Image, layer int) ([]Entry, error) {
	op := "entries of layer " + itoa(layer)
	if layer < 0 {
		return nil, newError(op, StatusInvalid, "negative layer index")
	}
	c, err := a.acquire(op)
	if err != nil {
		return nil, err
	}
	defer a.h.mu.Unlock()
	if err := a.checkImage(op, img); err != nil {
		return nil, err
	}
	return a.entries(op, c, img.c, layer)
}

// LooseEntries lists the entries of a lone layer tar (an archive whose
// Format() is "layer-tar", opened from a bare `tar` of a filesystem), with
// the same partial-result rule as Entries. Any other archive fails with
// ErrInvalid.
func (a *Archive) LooseEntries() ([]Entry, error) {
	const op = "entries of the loose layer"
	c, err := a.acquire(op)
	if err != nil {
		return nil, err
	}
	defer a.h.mu.Unlock()
	return a.entries(op, c, nil, 0)
}

// entries runs lk_layer_entries with the archive locked and copies every
// entry into Go memory before freeing the iterator.
func (a *Archive) entries(op string, c *C.lk_archive, ci *C.lk_image, layer int) ([]Entry, error) {
	var it *C.lk_entry_iter
	if _, err := call(op, func() C.lk_status { return C.lk_layer_entries(c, ci, C.size_t(layer), &it) }); err != nil {
		return nil, err
	}
	defer C.lk_entry_iter_free(it)
	out := []Entry{}
	for {
		var e C.lk_entry
		C.lk_entry_init(&e)
		st, err := call(op, func() C.lk_status { return C.lk_entry_iter_next(it, &e) })
		if err != nil {
			return nil, err
		}
		if st == StatusDone {
			break
		}
		g := Entry{
			Path:     C.GoString(e.path),
			Type:     byte(e._type),
			Mode:     uint32(e.mode),
			UID:      int64(e.uid),
			GID:      int64(e.gid),
			Uname:    C.GoString(e.uname),
			Gname:    C.GoString(e.gname),
			Size:     uint64(e.bytes),
			Mtime:    int64(e.mtime),
			Link:     C.GoString(e.link),
			DevMajor: uint32(e.dev_major),
			DevMinor: uint32(e.dev_minor),
			Sparse:   e.sparse != 0,
			Whiteout: e.whiteout != 0,
			Opaque:   e.opaque != 0,
		}
		if e._type < 0 || e._type > 0x7f {
			g.Type = TypeOther
		}
		if e.xattr_count > 0 {
			g.Xattrs = make(map[string][]byte, int(e.xattr_count))
			for i := C.size_t(0); i < e.xattr_count; i++ {
				var name *C.char
				var value unsafe.Pointer
				var length C.size_t
				if _, err := call(op, func() C.lk_status {
					return C.lk_entry_iter_xattr(it, i, &name, &value, &length)
				}); err != nil {
					return nil, err
				}
				g.Xattrs[C.GoString(name)] = goBytes((*C.char)(value), length)
			}
		}
		out = append(out, g)
	}
	var problem error
	if p := C.GoString(C.lk_entry_iter_tar_problem(it)); p != "" {
		st := Status(C.lk_entry_iter_status(it))
		if st == StatusOK {
			st = StatusMalformed
		}
		where := "layer " + itoa(layer)
		if ci == nil {
			where = "the loose layer"
		}
		problem = newError(op, st, where+" is not a complete tar: "+p)
	}
	runtime.KeepAlive(a.h)
	return out, problem
}
