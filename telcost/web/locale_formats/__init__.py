"""Django's FORMAT_MODULE_PATH: where a language's dates differ from Django's own (see
en/formats.py)."""
