"""Signed QR slips: the token in the QR, the keys that sign it, and the PDF
slips, receipts and labels that carry it.

Pure library code: no Flask, no database. The app wires it to routes
(``/v/<token>``, ``/api/v1/keys``), the slip archive and the command line.
"""
