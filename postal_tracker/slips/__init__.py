"""Signed QR slips: the token in the QR, the keys that sign it, and the PDF
slips, receipts and labels that carry it.

The token, the keys, the layouts and the drawing are pure: no Flask, no
database (``make lint`` holds them to it). The archive of issued slips
(``models``, ``issuing``, ``pool``) and the key commands use the database. The
pages that show a slip (``/v/<token>``, ``/api/v1/keys``, a slip's PDF) join
it to its dossier, so they live with the dossiers in ``intake/slip_pages.py``.
"""
