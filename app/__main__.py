"""``python -m app`` opens the window, like ``gan-playground``."""

import sys

from app.cli import main

sys.exit(main())
