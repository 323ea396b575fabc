"""Dashboard entry point: ``streamlit run app.py``. Navigation only: see ``ui/app.py``; pages live in ``ui/``."""

from ui.app import main

main()
