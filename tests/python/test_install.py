"""`pip install ./python` gives an importable, typed package (into a fresh venv, from a
copy of python/ so the checkout stays clean; no network: the build backend comes from
Debian's python3-setuptools and python3-wheel, which scripts/setup.sh installs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import support

# Debian's interpreter is the one setup.sh equips with setuptools and wheel.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _has_build_backend() -> bool:
    r = subprocess.run([PYTHON, "-c", "import setuptools, wheel, venv, ensurepip"],
                       capture_output=True)
    return r.returncode == 0


@unittest.skipUnless(_has_build_backend(),
                     f"{PYTHON} lacks setuptools/wheel/venv: run scripts/setup.sh "
                     "(python3-venv python3-pip python3-setuptools python3-wheel)")
class InstallTest(unittest.TestCase):
    def test_pip_install_gives_an_importable_typed_package(self) -> None:
        with tempfile.TemporaryDirectory(prefix="taskexec-pip-") as tmp:
            source = os.path.join(tmp, "python")
            shutil.copytree(support.PYTHON_DIR, source,
                            ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
            venv = os.path.join(tmp, "venv")
            subprocess.run([PYTHON, "-m", "venv", "--system-site-packages", venv], check=True)
            pip = subprocess.run(
                [os.path.join(venv, "bin", "pip"), "install", "--no-build-isolation",
                 "--no-index", "--disable-pip-version-check", source],
                capture_output=True, text=True)
            self.assertEqual(pip.returncode, 0, pip.stdout + pip.stderr)
            r = subprocess.run(
                [os.path.join(venv, "bin", "python"), "-c",
                 "import os, taskexec\n"
                 "from taskexec import TaskExecutionPipeline, TaskExecError\n"
                 "d = os.path.dirname(taskexec.__file__)\n"
                 "print(d, os.path.exists(os.path.join(d, 'py.typed')))"],
                capture_output=True, text=True, cwd=tmp,
                env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
            self.assertEqual(r.returncode, 0, r.stderr)
            where, typed = r.stdout.split()
            self.assertTrue(where.startswith(venv), where)
            self.assertEqual(typed, "True")


if __name__ == "__main__":
    unittest.main()
