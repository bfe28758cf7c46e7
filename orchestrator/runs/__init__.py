"""Run folders: layout, manifest, status lifecycle, history, and secret redaction.

Only this package knows where things live inside `runs/<name>-<stamp>-<hex>/`.
"""
