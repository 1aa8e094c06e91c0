"""The entry point of smtp_observer.pyz (the lab kit): ``py smtp_observer.pyz [options]``.

zipapp's generated ``__main__.py`` calls ``main()`` and drops what it returns, so a taken
``--port`` would end with exit code 0 instead of 2: this one keeps the exit code. Pillow is
checked first, because importing smtp_observer imports the decoder, which needs it.

multiprocessing's spawn child (the decoder of big mail) does not run this file again: the
module's name is ``__main__``, which spawn leaves alone, and the child finds the modules in the
.pyz on the sys.path it inherits.
"""

import preflight

preflight.require_pillow()

import smtp_observer  # noqa: E402  (after the check above)

raise SystemExit(smtp_observer.main())
