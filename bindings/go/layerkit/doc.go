// Package layerkit reads container image archives — `docker save` tars,
// OCI image layouts (directory or tar) and skopeo dir: layouts — through
// layerkit's stable C ABI (layerkit/layerkit.h).
//
// It lists the images of an archive, their layers, the tar entries of each
// layer and their docker-style history, verifies every digest, size and
// count, and finds the layers several images share. A Store keeps images in
// an OCI image layout directory, each blob once: load archives into it, plan
// an offline pull, save images back out, remove, collect garbage, verify.
//
// # Memory and lifetimes
//
// Open returns an *Archive that owns a C handle, and OpenStore a *Store. Call
// Close when done; a finalizer frees the handle if you forget, but only after
// every *Archive and *Image (or *Store) that refers to it is unreachable.
// Every string, slice and map this package returns is a Go copy: nothing
// borrowed from C outlives the call that produced it.
//
// # Concurrency
//
// An *Archive or *Store is safe for concurrent use by several goroutines: its
// calls are serialized (the C library allows one thread per handle at a
// time). Separate handles run concurrently. Dedup locks every archive it
// reads, in a fixed order, for the duration of the call; Store.Plan locks the
// store, then the archive.
//
// # Errors
//
// Every failure is an *Error carrying the C status and the message
// lk_last_error() gave on the same OS thread. Test the kind with errors.Is:
//
//	if errors.Is(err, layerkit.ErrTruncated) { ... }
//
// # Progress callbacks
//
// Long operations (Open of a compressed archive, History, Verify, Dedup,
// and the Store's Load, Save and Verify) take an optional ProgressFunc. The C library may call it from its own
// worker threads, but never from two threads at once. Return false to stop:
// the operation then fails with an error wrapping ErrCancelled. A callback
// must not call methods of the archive being processed (they would wait for
// the call in progress). If a callback panics, the panic is recovered before
// it can unwind through C, the operation is cancelled, and the same value is
// panicked again once the C call has returned and released its resources.
// No Go pointer is handed to C: the callback is found through an integer
// handle in a mutex-protected table.
//
// Store.Load's OnEvent receives LoadEvents on the goroutine that called Load.
// A panic in it is recovered the same way: later events are dropped, the load
// is cancelled at its next progress call (if one comes before the commit),
// and the panic is re-raised after the call.
package layerkit
