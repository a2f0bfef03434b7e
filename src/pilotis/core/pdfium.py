"""The one lock around PDFium, shared by every app that calls it (document import, chart images)."""

import threading

# PDFium is not thread-safe, not even across documents: every call into it goes through this lock
# (web workers and task workers may run in threads).
LOCK = threading.Lock()
