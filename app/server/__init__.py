"""The optional sync service: HTTP over PostgreSQL, reusing the models and the one write path.

database.py opens the server's store, auth.py keeps accounts and tokens, replay.py applies
pushed commands, schemas.py and api.py are the HTTP surface (`create_app`).
"""
