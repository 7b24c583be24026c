"""Past one machine, on Ray: folders of recordings captioned on Ray Data (`openhear caption
--ray`), and the web app on Ray Serve (`openhear serve --ray`).

Optional: `pip install 'openhear[scale]'` brings Ray (about 200 MB). Only this package imports
Ray, and only inside the functions that need it, so the default install and every other command
never load it (tests/scale/test_default_paths.py checks so).
"""
