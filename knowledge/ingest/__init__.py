"""Turn a repository archive into knowledge-layer rows, without Django and without the disk.

Modules: ``archive`` (safe streaming tar.gz reader), ``classify`` (language, binary, vendored,
generated, .strataignore), ``symbols`` (tree-sitter definitions), ``dependencies`` (manifests),
``docs`` (README and docs to safe HTML) and ``pipeline`` (all of them over one stream).
"""
