"""vetcards: client and patient cards for a Dutch veterinary practice.

One SQLCipher-encrypted SQLite file; privacy duties (AVG/GDPR) built in.
"""

__version__ = "0.1.0"
