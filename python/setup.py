# SPDX-License-Identifier: Apache-2.0
"""Records where libanchor.so.0 is when the package is built, so the installed package
finds the library it was built with (anchor_image/_lib.py reads _build_path.py).

The library is ANCHOR_LIBRARY if set, else the repository's build/libanchor.so.0. Nothing
is compiled here: the package is pure Python over ctypes."""
import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_library_path(build_py):
    def run(self):
        super().run()
        lib = os.environ.get("ANCHOR_LIBRARY") or str(Path(__file__).resolve().parent.parent / "build" /
                                                      "libanchor.so.0")
        if not os.path.exists(lib):
            self.warn(f"{lib} does not exist (yet): the package will look for the library at run time")
        target = Path(self.build_lib) / "anchor_image" / "_build_path.py"
        target.write_text("# written by setup.py at build time\nLIBRARY = %r\n" % os.path.abspath(lib))


setup(cmdclass={"build_py": build_py_with_library_path})
