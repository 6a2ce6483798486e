"""Where GIMP 3 keeps a user's plug-ins, per platform."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gimp_plugin.locations import FLATPAK_LAUNCH_PREFIX, launcher_script, resolve_install

HOME = Path("/home/ada")


def resolve(platform="linux", plugins_dir=None, gimp_python=None, prefix=None, environ=None,
            programs=(), home=HOME):
    found = {name: f"/usr/bin/{name}" for name in programs}
    return resolve_install(plugins_dir, gimp_python, prefix, platform=platform, home=home,
                           environ=environ or {}, which=found.get)


def test_linux_uses_the_xdg_config_folder():
    install = resolve(environ={"XDG_CONFIG_HOME": "/cfg"}, programs=("gimp-3.0",))
    assert install.kind == "linux"
    assert install.plugin_dir == Path("/cfg/GIMP/3.0/plug-ins/portrait-stylization")
    assert install.launch_prefix == ()
    assert resolve().plugins_dir == HOME / ".config/GIMP/3.0/plug-ins"


def test_the_flatpak_is_chosen_when_it_is_the_only_gimp(tmp_path):
    (tmp_path / ".var/app/org.gimp.GIMP").mkdir(parents=True)
    install = resolve(home=tmp_path)
    assert install.kind == "flatpak"
    assert install.plugins_dir == tmp_path / ".var/app/org.gimp.GIMP/config/GIMP/3.0/plug-ins"
    assert install.python == ("flatpak", "run", "--command=python3", "org.gimp.GIMP")
    assert install.launch_prefix == FLATPAK_LAUNCH_PREFIX
    assert resolve(home=tmp_path, programs=("gimp-3.0",)).kind == "linux"


def test_a_flatpak_plugins_folder_given_by_hand_is_recognised():
    folder = HOME / ".var/app/org.gimp.GIMP/config/GIMP/3.0/plug-ins"
    install = resolve(plugins_dir=folder, programs=("gimp-3.0",))
    assert (install.kind, install.plugins_dir) == ("flatpak", folder)


def test_windows_uses_appdata():
    install = resolve("win32", environ={"APPDATA": "C:/Users/ada/AppData/Roaming"})
    assert install.kind == "windows"
    assert install.plugins_dir == Path("C:/Users/ada/AppData/Roaming/GIMP/3.0/plug-ins")


def test_macos_uses_application_support():
    install = resolve("darwin")
    assert install.plugins_dir == HOME / "Library/Application Support/GIMP/3.0/plug-ins"


def test_overrides_are_command_lines():
    install = resolve(gimp_python="chroot '/srv/gimp root' /usr/bin/python3", prefix="")
    assert install.python == ("chroot", "/srv/gimp root", "/usr/bin/python3")
    assert install.launch_prefix == ()


def test_the_launcher_runs_the_backend_python_through_the_prefix(tmp_path):
    launcher = tmp_path / "backend-launcher"
    launcher.write_text(launcher_script(("env", "GREETING=through the prefix"), sys.executable))
    launcher.chmod(0o755)
    done = subprocess.run([str(launcher), "-c", "import os; print(os.environ['GREETING'])"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "through the prefix"
