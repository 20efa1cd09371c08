#!/usr/bin/env python3
"""A one-file image as a docker-archive, without a container engine: the pause
image of the test node (a static binary FROM scratch).

    oci_image.py BINARY PATH_IN_IMAGE REFERENCE OUT.tar
"""
import hashlib
import io
import json
import sys
import tarfile


def main():
    binary, target, ref, out = sys.argv[1:5]
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = t.gettarinfo(binary, arcname=target.lstrip("/"))
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        with open(binary, "rb") as f:
            t.addfile(info, f)
    layer_bytes = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = {
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": [target], "User": "65535:65535"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    manifest = [{"Config": "config.json", "RepoTags": [ref], "Layers": ["layer.tar"]}]
    with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in (("layer.tar", layer_bytes), ("config.json", config_bytes),
                           ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
