"""pyblish plugins of the nakawari batch, installed as `nakawari.pyblish_plugins`.

pyblish loads each plugin file on its own (files starting with `_`, like this one, are skipped), so the
files import the installed `nakawari` and never each other.
"""
