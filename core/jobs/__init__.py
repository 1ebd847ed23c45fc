"""Whole jobs (load, validate, run, write): what the CLI, the server and the batch all call."""
