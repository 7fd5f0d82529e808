#!/usr/bin/env python3
"""classic.py -- the classic scenario through layerkit's Python binding: list
the images of a base, a runtime and an app archive (each built FROM the
previous one), print each one's history, then the layers they share.
The same output as classic.c.

    PYTHONPATH=bindings/python LAYERKIT_LIBRARY=build/capi/liblayerkit.so \\
        python3 examples/classic.py samples/base.docker-archive.tar \\
        samples/runtime.docker-archive.tar samples/app.docker-archive.tar
"""
import contextlib
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("layerkit") is None:  # run from a checkout: use its binding
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "bindings" / "python"))

import layerkit  # noqa: E402


def main(argv):
    if len(argv) < 2:
        print("usage: %s ARCHIVE..." % argv[0], file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        images = []
        for path in argv[1:]:
            try:
                archive = stack.enter_context(layerkit.Archive(path))
            except layerkit.LayerkitError as e:
                print("classic: %s: %s [%s]" % (path, e.message, e.name), file=sys.stderr)
                return 1
            print("%s (%s): %d image(s)" % (path, archive.format, len(archive.images)))
            for image in archive.images:
                name = image.references[0] if image.references else "<none>"
                print("  image %s  id %.19s  %s/%s  %d layers"
                      % (name, image.id, image.os, image.architecture, image.layer_count))
                for row in image.history():
                    rid = row.id if row.id.startswith("<") else row.id[7:]
                    size = -1 if row.content_bytes is None else row.content_bytes
                    print("    %-12.12s %10d B  %.60s" % (rid, size, row.created_by))
                images.append(image)  # named by its first reference, else its ID

        shared = layerkit.dedup(images)
        print("\nlayers (by chain_id) and the images that share them:")
        for layer in shared.layers:
            print("  %.19s  %10d B  in %d: %s" % (layer.chain_id, layer.bytes, len(layer.images), " ".join(layer.images)))
        t = shared.totals
        print("total %d B, unique %d B, saved by sharing %d B" % (t.total_bytes, t.unique_bytes, t.saved_bytes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
