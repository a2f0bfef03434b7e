"""The REST API (django-ninja) under /api/v1/ and the personal API tokens that open it."""
