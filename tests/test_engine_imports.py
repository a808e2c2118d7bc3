"""The engine never imports Streamlit: pages and playground.ui depend on it, not the reverse."""

import pkgutil
import subprocess
import sys

import playground


def engine_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(playground.__path__, "playground.")]
    return [n for n in names if not n.startswith("playground.ui") and n != "playground.__main__"]


def test_engine_modules_do_not_import_streamlit():
    modules = engine_modules()
    assert "playground.mlp.training" in modules and "playground.jobs" in modules
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
