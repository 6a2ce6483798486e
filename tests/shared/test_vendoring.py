"""Making pyzmq importable by an editor's Python."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared.vendoring import (
    EditorPython,
    VendoringError,
    download_command,
    probe,
    vendor_pyzmq,
    wheel_platforms,
)


def gimp_python(platform="linux-x86_64", machine="x86_64", libc=("glibc", "2.41"),
                implementation="cpython"):
    return EditorPython(("python3",), "3.13", implementation, platform, machine, libc, None)


def test_probing_an_interpreter_reports_its_version_and_pyzmq():
    found = probe([sys.executable])
    assert found.version == f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert found.zmq is not None  # the backend's venv has pyzmq


def test_probing_a_missing_interpreter_says_which_option_helps():
    with pytest.raises(VendoringError, match="--gimp-python"):
        probe(["/nonexistent/python3"])


def test_glibc_linux_accepts_every_older_manylinux():
    tags = wheel_platforms(gimp_python())
    assert tags[0] == "manylinux_2_41_x86_64"
    assert "manylinux_2_28_x86_64" in tags and tags[-1] == "manylinux2014_x86_64"


def test_other_platforms_map_to_their_wheel_tags():
    assert wheel_platforms(gimp_python("win-amd64", "AMD64", ("", ""))) == ["win_amd64"]
    mac = wheel_platforms(gimp_python("macosx-11.0-arm64", "arm64", ("", "")))
    assert mac[:2] == ["macosx_11_0_arm64", "macosx_11_0_universal2"]
    assert "macosx_10_15_universal2" in mac


@pytest.mark.parametrize("python, words", [
    (gimp_python(libc=("", "")), "C library"),
    (gimp_python("mingw_x86_64_ucrt", "AMD64", ("", "")), "MSYS2"),
    (gimp_python(implementation="pypy"), "CPython"),
])
def test_platforms_without_wheels_are_explained(python, words):
    with pytest.raises(VendoringError, match=words):
        wheel_platforms(python)


def test_pip_is_asked_for_a_binary_wheel_of_the_right_python(tmp_path):
    command = download_command(gimp_python(), tmp_path, "/venv/bin/python")
    assert command[:4] == ["/venv/bin/python", "-m", "pip", "download"]
    assert "--only-binary=:all:" in command and "3.13" in command
    assert command[-1].startswith("pyzmq")


def test_a_vendored_wheel_imports_without_site_packages(tmp_path):
    vendor = tmp_path / "vendor"
    wheel = vendor_pyzmq(probe([sys.executable]), vendor)
    assert wheel.startswith("pyzmq-")
    done = subprocess.run([sys.executable, "-I", "-S", "-c",
                           f"import sys; sys.path.insert(0, {str(vendor)!r}); import zmq; "
                           "print(zmq.__file__)"], capture_output=True, text=True, check=True)
    assert done.stdout.strip().startswith(str(vendor))
