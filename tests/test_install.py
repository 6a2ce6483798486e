"""install.py states no version or endpoint of its own: it reads them from their one source."""

from pathlib import Path

import pytest
import tomllib

import install
from shared.protocol import DEFAULT_ENDPOINT

PYPROJECT = Path(install.__file__).with_name("pyproject.toml")


def project_pins() -> dict[str, str]:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return {line.split("==")[0]: line for line in dependencies if "==" in line}


def test_torch_and_opencv_are_installed_at_the_versions_pyproject_pins():
    pins = project_pins()
    assert [pins["torch"], pins["torchvision"]] == install.TORCH
    assert pins["opencv-contrib-python"] in install.RESOLVER_HINTS


def test_a_package_pyproject_does_not_pin_exactly_is_refused_by_name():
    with pytest.raises(LookupError, match="no exact version of pillow"):
        install.pinned("pillow")


def test_the_plug_in_endpoint_default_is_the_protocols():
    assert install.DEFAULT_ENDPOINT is DEFAULT_ENDPOINT
