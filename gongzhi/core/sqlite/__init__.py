"""gongzhi's SQLite database backend (``ENGINE: gongzhi.core.sqlite``): Django's, with writers taking turns."""
