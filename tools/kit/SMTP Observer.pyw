"""Double-click to open SMTP Observer's window without a console window.

Runs smtp_observer.pyz from this folder with the Python that "py" starts (the newest one
installed), the one that install.cmd installed Pillow for.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().with_name("smtp_observer.pyz")), run_name="__main__")
